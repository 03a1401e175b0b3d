/**
 * The case type of the PQL conformance table and the profiles and events several cases share.
 * Every engine (in-memory evaluator, SQL compiler) runs every case: it evaluates `pql` over
 * `profile` with `events` as `xEvent`, the clock at `now` and `segments` as the audiences the
 * profile belongs to, and must produce `expected`. When `expected` is a boolean the expression is
 * evaluated as an audience (its value taken as a yes/no: `true`, or a non-empty array); otherwise
 * the raw value is compared (numbers by value, so 15 and 15.0 are equal; objects by keys, any order).
 *
 * Unless a case says otherwise, `now` is Wednesday 2025-06-18 15:00 UTC: today is 18 June, this
 * week runs Monday 16 June to Sunday 22 June, last week 9-15 June.
 *
 * @example
 *   const c: PqlCase = { name: 'x', pql: 'a = 1', profile: { a: 1 }, events: [], now: NOW, expected: true };
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An XDM ExperienceEvent as stored: `timestamp` (ISO 8601), `eventType`, and any XDM fields. */
export interface XdmEvent {
  _id: string;
  timestamp?: string;
  eventType?: string;
  [field: string]: JsonValue | undefined;
}

export interface PqlCase {
  /** Unique, says what is promised. */
  name: string;
  pql: string;
  /** The merged profile's attributes. */
  profile: { [key: string]: JsonValue };
  /** The profile's events, in storage order (not necessarily by time). */
  events: XdmEvent[];
  /** The evaluation instant, ISO 8601 UTC. */
  now: string;
  /** Audience ids the profile currently belongs to (for `inSegment`). */
  segments?: string[];
  expected: JsonValue;
  /** Why the expected value is right, when it takes a rule to see it. */
  why?: string;
  /** Where the expression comes from, when copied from Adobe's documentation. */
  source?: string;
}

export const NOW = '2025-06-18T15:00:00.000Z';

/** A small helper to build events without repeating `_id`. */
export function event(id: string, timestamp: string | undefined, eventType: string | undefined, fields: { [key: string]: JsonValue } = {}): XdmEvent {
  const e: XdmEvent = { _id: id, ...fields };
  if (timestamp !== undefined) e.timestamp = timestamp;
  if (eventType !== undefined) e.eventType = eventType;
  return e;
}

/** A shopper: checkouts, page views and product views over the last weeks, stored out of time order. */
export const SHOP_EVENTS: XdmEvent[] = [
  event('e3', '2025-06-16T09:00:00Z', 'commerce.productViews', { productListItems: [{ SKU: 'XB', name: 'Xbox', priceTotal: 300 }] }),
  event('e1', '2025-06-18T14:00:00Z', 'commerce.checkouts', {
    commerce: { order: { priceTotal: 120, currencyCode: 'USD' }, item: { price: 60 } },
    productListItems: [
      { SKU: 'PS', name: 'PlayStation', priceTotal: 100, quantity: 1 },
      { SKU: 'CTRL', name: 'Controller', priceTotal: 20, quantity: 1 },
    ],
  }),
  event('e5', '2025-05-01T08:00:00Z', 'commerce.checkouts', { commerce: { order: { priceTotal: 300, currencyCode: 'USD' } }, productListItems: [{ SKU: 'PS', priceTotal: 300 }] }),
  event('e2', '2025-06-18T10:00:00Z', 'web.webpagedetails.pageViews', { web: { webPageDetails: { name: 'home', isHomePage: true, URL: 'https://shop.example.com/' } } }),
  event('e4', '2025-06-10T12:00:00Z', 'commerce.checkouts', { commerce: { order: { priceTotal: 40, currencyCode: 'EUR' } }, productListItems: [{ SKU: 'GAME1', priceTotal: 40 }] }),
];

export const SHOPPER = { person: { gender: 'female', name: { firstName: 'Alice' } }, homeAddress: { countryCode: 'US' } };

/** A visitor's day: an email click, home page views (one yesterday evening), a checkout, and an older add-to-cart. */
export const VISIT_EVENTS: XdmEvent[] = [
  event('c6', '2025-06-18T13:00:00Z', 'homePageView'),
  event('c1', '2025-06-18T09:00:00Z', 'directMarketing.emailClicked'),
  event('c4', '2025-06-18T12:00:00Z', 'commerce.checkouts', { commerce: { order: { priceTotal: 150 } } }),
  event('c2', '2025-06-18T10:00:00Z', 'homePageView'),
  event('c8', '2025-06-10T10:00:00Z', 'addToCart', { externalSegmentMapProperty: { s1: { stringProperty: 'active' }, s2: { stringProperty: 'inactive' } } }),
  event('c5', '2025-06-17T20:00:00Z', 'homePageView'),
  event('c3', '2025-06-18T11:00:00Z', 'homePageView'),
  event('c7', '2025-06-18T14:00:00Z', 'homePageView'),
];

export const VISITOR = { homeAddress: { countryCode: 'US' }, workAddress: { country: 'us' }, person: { gender: 'male' } };

/** Downloads, for the computed-attribute examples (7-day window starts 2025-06-11 15:00). */
export const DOWNLOAD_EVENTS: XdmEvent[] = [
  event('d1', '2025-06-17T10:00:00Z', 'download', { contentType: 'image', product: 'p1', commerce: { order: { priceTotal: 10 } } }),
  event('d2', '2025-06-15T10:00:00Z', 'download', { contentType: 'image', product: 'p2', commerce: { order: { priceTotal: 5 } } }),
  event('d3', '2025-06-14T10:00:00Z', 'download', { contentType: 'video', product: 'p1', commerce: { order: { priceTotal: 7 } } }),
  event('d4', '2025-06-01T10:00:00Z', 'download', { contentType: 'image', product: 'p1', commerce: { order: { priceTotal: 3 } } }),
  event('t1', '2025-06-15T12:00:00Z', 'transaction', { category: 'sporting goods', commerce: { order: { priceTotal: 80 } } }),
  event('t2', '2025-06-16T12:00:00Z', 'transaction', { category: 'sporting goods', commerce: { order: { priceTotal: 25 } } }),
  event('t3', '2025-06-17T12:00:00Z', 'transaction', { category: 'books', commerce: { order: { priceTotal: 12 } } }),
  event('t4', '2025-06-05T12:00:00Z', 'transaction', { category: 'sporting goods', commerce: { order: { priceTotal: 500 } } }),
];
