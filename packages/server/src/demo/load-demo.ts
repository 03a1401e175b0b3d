/**
 * Loads the demo into a running Meridian through its own public API (what a new user would do by
 * hand): datasets for the CRM export, the loyalty file, store transactions and web events; the
 * CRM and loyalty files as batches, the events streamed; audiences; a datastream for the
 * storefront; two activities (an A/B test of the home hero, experience targeting of the banner on
 * the other pages). Idempotent: a sandbox that already holds the demo is left as it is.
 *
 * @example
 *   const running = await startServer(config);
 *   const demo = await loadDemo(running, { customers: 3000 });
 *   demo.storefrontUrl; // http://localhost:8080/demo/?configId=…
 */
import type { RunningServer } from '../app/start.ts';
import { demoData, type DemoOptions } from './demo-data.ts';

/** Where the storefront's personalized elements are (`edge/sdk/demo/`); the offers below change them. */
export const DEMO_SELECTORS = { hero: '#hero h1', banner: '#promo' } as const;

/** The storefront's home page, with or without a query or fragment (`/demo/?configId=…` on first load). */
const HOME_PAGE_URL = '/demo/?([?#].*)?$';

/** Most records per streaming request (and never more than MERIDIAN_INGEST_MAX_RECORDS allows). */
const STREAM_CHUNK = 500;

/**
 * One kind of event within 24 hours: the classifier makes it an edge audience, so the page view
 * of a footwear page qualifies the visitor in the same request that decides the banner. (Without
 * the time window the expression is batch-only and never changes a page.)
 */
export const FOOTWEAR_VIEWERS_PQL =
  'xEvent[(web.webPageDetails.URL.contains("/demo/category/footwear") or web.webPageDetails.URL.contains("/demo/product/NW-F")) and timestamp occurs <= 24 hours before now].count() > 0';

export interface DemoSummary {
  loaded: boolean;
  datastreamId: string;
  storefrontUrl: string;
  customers: number;
  audiences: Record<string, string>;
  activities: Record<string, string>;
  /** A gold or platinum member to sign in as (their loyalty tier changes the banner). */
  sampleMember?: { email: string; crmId: string; tier: string };
}

interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  body?: unknown;
  payload?: string;
  contentType?: string;
}

type Json = Record<string, unknown>;

export async function loadDemo(running: RunningServer, options: DemoOptions & { sandbox?: string } = {}): Promise<DemoSummary> {
  const { platform, app } = running;
  const sandbox = options.sandbox ?? 'prod';
  // A key of its own, for this load only (the admin key printed at first start is never stored in clear).
  const { key, secret } = await platform.tenancy.createApiKey({ name: 'demo loader', role: 'admin', sandboxes: [sandbox] }, 'demo');
  const call = async <T = Json>(c: ApiCall, expected: number[] = [200, 201]): Promise<T> => {
    const json = c.payload === undefined && c.body !== undefined;
    const contentType = json ? 'application/json' : c.contentType;
    const res = await app.inject({
      method: c.method,
      url: c.url,
      headers: { authorization: `Bearer ${secret}`, 'x-sandbox-name': sandbox, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(c.payload !== undefined ? { payload: c.payload } : json ? { payload: JSON.stringify(c.body) } : {}),
    });
    if (!expected.includes(res.statusCode)) throw new Error(`demo: ${c.method} ${c.url} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
    return (res.body ? JSON.parse(res.body) : {}) as T;
  };
  try {
    const existing = await call<{ items: { id: string; name: string }[] }>({ method: 'GET', url: '/api/v1/datastreams' });
    const found = existing.items.find((d) => d.name === 'Demo storefront');
    if (found) return { loaded: false, datastreamId: found.id, storefrontUrl: storefrontUrl(running.url, found.id), customers: 0, audiences: {}, activities: {} };

    const data = demoData(options);
    const dataset = (name: string, schemaId: string, description: string) =>
      call<{ id: string }>({ method: 'POST', url: '/api/v1/datasets', body: { name, schemaId, profileEnabled: true, description } });
    const crm = await dataset('demo_crm', 'profile', 'CRM export: customers, contact details, consents');
    const loyalty = await dataset('demo_loyalty', 'profile', 'Loyalty programme members, tiers and points');
    const transactions = await dataset('demo_transactions', 'experience-event', 'Store and call-centre purchases');
    const web = await dataset('demo_web', 'experience-event', 'Storefront page and product views');

    const batch = async (datasetId: string, payload: string, format: 'csv' | 'jsonl') => {
      const created = await call<{ id: string }>({ method: 'POST', url: `/api/v1/datasets/${datasetId}/batches?format=${format}`, payload, contentType: 'text/plain' }, [200, 201, 202]);
      for (;;) {
        const status = await call<{ status: string }>({ method: 'GET', url: `/api/v1/batches/${created.id}` });
        if (!['loading', 'queued', 'processing'].includes(status.status)) {
          if (status.status !== 'success') throw new Error(`demo: batch of ${datasetId} ended ${status.status}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // Events arrive as they would in production: streamed in arrays (each batch file costs a
    // worker, which makes a small demo slow to load for nothing). The profile files go as batches.
    const stream = async (datasetId: string, jsonl: string) => {
      const lines = jsonl.split('\n').filter((l) => l.trim() !== '');
      const chunk = Math.min(STREAM_CHUNK, platform.config.ingestMaxRecords);
      for (let i = 0; i < lines.length; i += chunk) {
        await call({ method: 'POST', url: `/api/v1/ingest/${datasetId}`, payload: `[${lines.slice(i, i + chunk).join(',')}]`, contentType: 'application/json' });
      }
    };
    await batch(crm.id, data.crmCsv, 'csv');
    await batch(loyalty.id, data.loyaltyCsv, 'csv');
    await stream(transactions.id, data.transactionsJsonl);
    await stream(web.id, data.webJsonl);

    const audience = async (name: string, description: string, pql: string) =>
      (await call<{ id: string }>({ method: 'POST', url: '/api/v1/audiences', body: { name, description, expression: { type: 'PQL', format: 'pql/text', value: pql } } })).id;
    const audiences = {
      loyalMembers: await audience('Gold and platinum members', 'Loyalty tier gold or platinum', 'loyalty.tier in ["gold", "platinum"]'),
      footwearViewers: await audience(
        'Viewed footwear',
        'Saw the footwear category or a footwear product in the last 24 hours (edge: qualifies on the page view itself, same page)',
        FOOTWEAR_VIEWERS_PQL,
      ),
      recentBuyers: await audience('Bought in the last 30 days', 'Any purchase in the last 30 days', 'xEvent[eventType = "commerce.purchases" and timestamp occurs <= 30 days before now].count() > 0'),
      highSpenders: await audience('Spent over $300', 'Total purchases over 300 USD', 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal) > 300'),
    };

    const datastream = await call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/datastreams',
      body: { name: 'Demo storefront', eventDatasetId: web.id, profileDatasetId: crm.id, allowedOrigins: demoOrigins(running.url) },
    });

    const offer = async (name: string, selector: string, html: string) =>
      (await call<{ id: string }>({ method: 'POST', url: '/api/v1/offers', body: { name, content: { type: 'dom-actions', actions: [{ type: 'setHtml', selector, content: html }] } } })).id;
    const heroFreeShipping = await offer('Hero: free shipping', DEMO_SELECTORS.hero, 'Free shipping on everything this week');
    const bannerFootwear = await offer('Banner: footwear', DEMO_SELECTORS.banner, '<strong>New trail runners are in.</strong> 15% off footwear with code TRAIL15');
    const bannerMembers = await offer('Banner: club members', DEMO_SELECTORS.banner, '<strong>Trail Club members:</strong> double points on every order this month');
    const hero = await call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/activities',
      body: {
        name: 'Home hero A/B test',
        type: 'ab',
        status: 'live',
        // Both activities are page-wide (`__view__`), where every qualifying activity answers: the
        // A/B test on the home page (every visitor is in it and keeps their hero), the banner
        // targeting on every storefront page the visitor's audiences qualify for. They change
        // different elements (#hero, #promo), so on the home page a member gets both.
        priority: 20,
        location: { scopes: ['__view__'], urls: [{ operator: 'regex', value: HOME_PAGE_URL }] },
        experiences: [
          { id: 'A', name: 'Control: default hero', offerIds: [], control: true, traffic: 50 },
          { id: 'B', name: 'Free shipping hero', offerIds: [heroFreeShipping], traffic: 50 },
        ],
        metric: { type: 'event', eventType: 'commerce.purchases', revenueField: 'commerce.order.priceTotal' },
      },
    });
    const banner = await call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/activities',
      body: {
        name: 'Promo banner targeting',
        type: 'xt',
        status: 'live',
        priority: 10,
        location: { scopes: ['__view__'], urls: [{ operator: 'contains', value: '/demo/' }] },
        experiences: [
          { id: 'members', name: 'Loyalty members', offerIds: [bannerMembers], audience: { type: 'audience', audienceId: audiences.loyalMembers } },
          { id: 'footwear', name: 'Footwear browsers', offerIds: [bannerFootwear], audience: { type: 'audience', audienceId: audiences.footwearViewers } },
        ],
        metric: { type: 'click' },
      },
    });
    const member = data.customers.find((c) => c.tier === 'gold' || c.tier === 'platinum');
    return {
      loaded: true,
      datastreamId: datastream.id,
      storefrontUrl: storefrontUrl(running.url, datastream.id),
      customers: data.customers.length,
      audiences,
      activities: { hero: hero.id, banner: banner.id },
      ...(member?.tier ? { sampleMember: { email: member.email, crmId: member.crmId, tier: member.tier } } : {}),
    };
  } finally {
    await platform.tenancy.revokeApiKey(key.id, 'demo').catch(() => undefined);
  }
}

/** The storefront is served by Meridian itself: its origin, under the names a browser on this machine may use. */
function demoOrigins(base: string): string[] {
  const url = new URL(base);
  const port = url.port ? `:${url.port}` : '';
  return [...new Set([url.origin, `${url.protocol}//localhost${port}`, `${url.protocol}//127.0.0.1${port}`])];
}

function storefrontUrl(base: string, datastreamId: string): string {
  return `${base}/demo/?configId=${datastreamId}`;
}
