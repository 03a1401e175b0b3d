/**
 * The demo's data: a seeded, realistic small outdoor retailer (Northwind Outfitters). Customers from a CRM export, a loyalty
 * programme file, offline (store) transactions and web browsing, some of it anonymous and some
 * of it by customers who logged in (so web devices stitch to CRM people by email). The same seed
 * always gives the same files.
 *
 * @example
 *   const data = demoData({ customers: 3000 });
 *   data.crmCsv.split('\n')[0]; // 'crm.crmId,personalEmail.address,person.name.firstName,...'
 */

import { seededRandom } from '../storage/seeded-random.ts';

const FIRST_NAMES = ['Ann', 'Ben', 'Chloé', 'David', 'Elif', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Noah', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wen', 'Yara', 'Zoe'];
const LAST_NAMES = ['Adams', 'Berg', 'Costa', 'Dubois', 'Evans', 'Fischer', 'García', 'Hansen', 'Ivanova', 'Jensen', 'Kowalski', 'Lopez', 'Müller', 'Nakamura', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Weber'];
const CITIES = ['London', 'Paris', 'Berlin', 'Madrid', 'Lisbon', 'Amsterdam', 'Dublin', 'Vienna', 'Copenhagen', 'Milan'];

/** The storefront's catalog (the demo page at /demo/, `edge/sdk/demo/assets/shop.js`, sells the same products). */
export const DEMO_CATEGORIES = ['jackets', 'footwear', 'packs'] as const;
export type DemoCategory = (typeof DEMO_CATEGORIES)[number];

export const DEMO_PRODUCTS: Readonly<Record<DemoCategory, readonly { sku: string; name: string; price: number }[]>> = {
  jackets: [
    { sku: 'NW-J100', name: 'Ridgeline Shell Jacket', price: 189 },
    { sku: 'NW-J200', name: 'Cinder Down Hoodie', price: 229 },
    { sku: 'NW-J300', name: 'Tidewater Rain Parka', price: 149 },
  ],
  footwear: [
    { sku: 'NW-F100', name: 'Switchback Trail Runner', price: 135 },
    { sku: 'NW-F200', name: 'Summit GTX Boot', price: 219 },
    { sku: 'NW-F300', name: 'Camp Slide', price: 45 },
  ],
  packs: [
    { sku: 'NW-P100', name: 'Traverse 38 Pack', price: 169 },
    { sku: 'NW-P200', name: 'Daybreak 18 Pack', price: 89 },
  ],
};

export const LOYALTY_TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
export type LoyaltyTier = (typeof LOYALTY_TIERS)[number];

export interface DemoCustomer {
  crmId: string;
  email: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  city: string;
  /** A web device (ECID) some customers browse with; they log in on it, which stitches it to them. */
  ecid?: string;
  favourite: DemoCategory;
  /** The loyalty programme tier, for members (the loyalty file holds it; the CRM export does not). */
  tier?: LoyaltyTier;
}

export interface DemoData {
  customers: DemoCustomer[];
  /** CRM export: headers are schema paths of the profile schema. */
  crmCsv: string;
  /** Loyalty programme file (a second profile dataset, merged by the merge policy). */
  loyaltyCsv: string;
  /** Store and call-centre purchases, JSON lines of experience events keyed by CRMID. */
  transactionsJsonl: string;
  /** Web page and product views, JSON lines keyed by ECID (plus Email after a login). */
  webJsonl: string;
}

export interface DemoOptions {
  customers?: number;
  seed?: number;
  /** The time the demo is generated at (events fall in the 90 days before). */
  now?: number;
}

const DAY = 86_400_000;

/** A 38-digit device id shaped like an ECID. */
function ecidFrom(random: () => number): string {
  let s = String(1 + Math.floor(random() * 9));
  while (s.length < 38) s += String(Math.floor(random() * 10));
  return s;
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (rows: (string | number)[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

export function demoData(options: DemoOptions = {}): DemoData {
  const count = options.customers ?? 3000;
  const random = seededRandom(options.seed ?? 20261123);
  const now = options.now ?? Date.now();
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const iso = (ms: number) => new Date(ms).toISOString();

  const customers: DemoCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const year = 1950 + Math.floor(random() * 55);
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    customers.push({
      crmId: `C${100001 + i}`,
      email: `${firstName}.${lastName}.${i + 1}@example.com`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      firstName,
      lastName,
      birthDate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      city: pick(CITIES),
      ...(random() < 0.4 ? { ecid: ecidFrom(random) } : {}),
      favourite: pick(DEMO_CATEGORIES),
    });
  }

  const crmRows: (string | number)[][] = [
    ['crm.crmId', 'personalEmail.address', 'person.name.firstName', 'person.name.lastName', 'person.birthDate', 'homeAddress.city', 'crm.customerSince', 'consents.marketing.email.val'],
  ];
  for (const c of customers) {
    const since = new Date(now - Math.floor(random() * 3650) * DAY).toISOString().slice(0, 10);
    crmRows.push([c.crmId, c.email, c.firstName, c.lastName, c.birthDate, c.city, since, random() < 0.85 ? 'y' : 'n']);
  }

  const loyaltyRows: (string | number)[][] = [['crm.crmId', 'loyalty.loyaltyID', 'loyalty.program', 'loyalty.tier', 'loyalty.points']];
  for (const c of customers) {
    if (random() < 0.3) continue; // not every customer is a member
    const r = random();
    const tier: LoyaltyTier = r < 0.5 ? 'bronze' : r < 0.8 ? 'silver' : r < 0.95 ? 'gold' : 'platinum';
    c.tier = tier;
    loyaltyRows.push([c.crmId, `L-${c.crmId.slice(1)}`, 'Northwind Trail Club', tier, Math.floor(random() * (tier === 'platinum' ? 20000 : 5000))]);
  }

  const transactions: string[] = [];
  let txn = 0;
  for (const c of customers) {
    const orders = Math.floor(random() * random() * 6);
    for (let o = 0; o < orders; o++) {
      const category = random() < 0.6 ? c.favourite : pick(DEMO_CATEGORIES);
      const product = pick(DEMO_PRODUCTS[category]);
      const quantity = 1 + Math.floor(random() * 2);
      const total = product.price * quantity;
      txn++;
      transactions.push(
        JSON.stringify({
          _id: `demo-txn-${txn}`,
          timestamp: iso(now - Math.floor(random() * 90 * DAY)),
          eventType: 'commerce.purchases',
          identityMap: { CRMID: [{ id: c.crmId, primary: true }] },
          commerce: { purchases: { value: 1 }, order: { purchaseID: `T${txn}`, priceTotal: total, currencyCode: 'USD' } },
          productListItems: [{ SKU: product.sku, name: product.name, quantity, priceTotal: total, currencyCode: 'USD', productCategories: [{ categoryID: category, categoryName: category }] }],
        }),
      );
    }
  }

  const web: string[] = [];
  let view = 0;
  const pageView = (ecid: string, at: number, category: DemoCategory, email?: string) => {
    view++;
    const product = random() < 0.5 ? pick(DEMO_PRODUCTS[category]) : undefined;
    web.push(
      JSON.stringify({
        _id: `demo-web-${view}`,
        timestamp: iso(at),
        eventType: product ? 'commerce.productViews' : 'web.webpagedetails.pageViews',
        identityMap: { ECID: [{ id: ecid, primary: true }], ...(email ? { Email: [{ id: email, authenticatedState: 'authenticated' }] } : {}) },
        web: { webPageDetails: { name: product ? `product:${product.sku}` : `category:${category}`, URL: `http://localhost:8080/demo/${product ? `product/${product.sku}` : `category/${category}`}`, siteSection: category, pageViews: { value: 1 } } },
        ...(product ? { commerce: { productViews: { value: 1 } }, productListItems: [{ SKU: product.sku, name: product.name, productCategories: [{ categoryID: category, categoryName: category }] }] } : {}),
      }),
    );
  };
  for (const c of customers) {
    if (!c.ecid) continue;
    const visits = 1 + Math.floor(random() * 4);
    for (let v = 0; v < visits; v++) {
      const at = now - Math.floor(random() * 30 * DAY);
      // The first visit ends with a login: the device is then stitched to the customer by email.
      pageView(c.ecid, at, random() < 0.7 ? c.favourite : pick(DEMO_CATEGORIES), v === 0 ? c.email : undefined);
    }
  }
  // Anonymous visitors who never logged in.
  for (let i = 0; i < Math.floor(count / 3); i++) {
    const ecid = ecidFrom(random);
    pageView(ecid, now - Math.floor(random() * 30 * DAY), pick(DEMO_CATEGORIES));
  }

  return { customers, crmCsv: csv(crmRows), loyaltyCsv: csv(loyaltyRows), transactionsJsonl: transactions.join('\n') + '\n', webJsonl: web.join('\n') + '\n' };
}
