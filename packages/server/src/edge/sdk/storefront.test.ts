/* eslint-disable @typescript-eslint/no-explicit-any -- request bodies and API answers are read field by field */
/**
 * End to end: headless Chromium opens the demo storefront served by a real Meridian server; the
 * web SDK talks to the real `/ee/v1/interact` and `/ee/v1/collect`; a live page-wide activity
 * changes the hero without flicker; displays and clicks land in the activity's report; consent
 * and sign-in behave as promised.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { launchChromium } from '../../../../sdk-web/testing/chromium.ts';
import { ecidFromIdentityCookie } from '../../../../sdk-web/src/cookies.ts';
import { startTestServer, type TestServer } from '../../testing/harness.ts';
import { createActivity, createDatastream, createOffer, PREFIX } from '../edge-fixtures.ts';

const BANNER = '<h1 id="sale-banner">Winter sale: 30% off shells</h1><a id="sale-link" href="/demo/category/jackets" data-link>Shop the sale</a>';

let server: TestServer;
let browser: Browser;
let configId: string;
let activityId: string;

interface EdgeRequest {
  path: string;
  body: any;
}

/** A fresh browser profile (no cookies) with every edge request it makes recorded. */
async function visitor(): Promise<{ context: BrowserContext; page: Page; edge: EdgeRequest[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const edge: EdgeRequest[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/ee/')) return;
    const text = request.postData();
    edge.push({ path: url.pathname, body: text ? JSON.parse(text) : undefined });
  });
  return { context, page, edge };
}

const eventTypes = (edge: EdgeRequest[], path: string) => edge.filter((r) => r.path === path).flatMap((r) => (r.body?.events ?? []).map((e: any) => e.xdm?.eventType));

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function report(): Promise<{ impressions: number; conversions: number }> {
  const res = await server.api('GET', `/api/v1/activities/${activityId}/report`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const sum = (key: 'impressions' | 'conversions') => res.body.experiences.reduce((n: number, e: any) => n + e[key], 0);
  return { impressions: sum('impressions'), conversions: sum('conversions') };
}

before(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
  // The demo page calls the edge from the server's own origin, which the datastream must allow.
  configId = (await createDatastream(server, { allowedOrigins: [server.url] })).id;
  const banner = await createOffer(server, { type: 'dom-actions', actions: [{ type: 'setHtml', selector: '#hero', content: BANNER }, { type: 'setText', selector: '#promo', content: 'Members get free returns' }] });
  activityId = await createActivity(server, {
    name: 'winter sale banner',
    type: 'xt',
    location: { scopes: ['__view__'] },
    experiences: [{ id: 'sale', name: 'sale banner', offerIds: [banner] }],
    fallbackExperienceId: 'sale',
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the demo storefront with the web SDK against a real Meridian server', () => {
  it('shows the page-wide activity on load without flicker, keeps the device ID cookie, and reports the display', async () => {
    const { context, page, edge } = await visitor();
    // Every animation frame, note whether the default hero was ever on screen.
    // (A string: the page must get exactly this source, not our loader's compiled form of it.)
    await page.addInitScript({
      content: `window.heroFrames = [];
        requestAnimationFrame(function watch() {
          var hero = document.getElementById('hero');
          if (hero && getComputedStyle(hero).opacity !== '0' && getComputedStyle(hero).visibility !== 'hidden') window.heroFrames.push(hero.textContent);
          requestAnimationFrame(watch);
        });`,
    });
    await page.goto(`${server.url}/demo/?configId=${configId}`);
    await page.waitForSelector('#sale-banner');
    assert.equal(await page.textContent('#promo'), 'Members get free returns');
    assert.equal(await page.$('#meridian-prehiding'), null, 'the prehiding style is gone once rendered');
    await page.waitForFunction(() => (window as unknown as { heroFrames: string[] }).heroFrames.length > 0);
    const frames = await page.evaluate(() => (window as unknown as { heroFrames: string[] }).heroFrames);
    assert.ok(frames.some((text) => text.includes('Winter sale')), 'frames were watched while the banner showed');
    assert.ok(!frames.some((text) => text.includes('Gear for every trail')), 'the default hero was never painted');

    const pageView = edge.find((r) => r.path === '/ee/v1/interact' && r.body.events[0].xdm.eventType === 'web.webpagedetails.pageViews');
    assert.ok(pageView, 'a page view was sent on load');
    const event = pageView.body.events[0];
    assert.deepEqual(event.query.personalization.decisionScopes, ['__view__']);
    assert.equal(event.xdm.web.webPageDetails.URL, `${server.url}/demo/?configId=${configId}`);
    assert.equal(event.xdm.implementationDetails.name, 'https://meridian.dev/sdk/web');

    const display = await eventually('the display notification', () => edge.find((r) => r.body?.events?.[0]?.xdm?.eventType === 'decisioning.propositionDisplay'));
    const shown = display.body.events[0].xdm._experience.decisioning;
    assert.deepEqual(shown.propositionEventType, { display: 1 });
    assert.equal(shown.propositions[0].scope, '__view__');
    assert.equal(shown.propositions[0].scopeDetails.activity.id, activityId);

    const cookie = (await context.cookies()).find((c) => c.name === `${PREFIX}_identity`);
    assert.ok(cookie, 'the state:store handle set the device ID cookie');
    const ecid = ecidFromIdentityCookie(cookie.value);
    assert.match(ecid ?? '', /^\d{38}$/);
    await page.waitForFunction(() => /^\d{38}$/.test(document.getElementById('ecid')?.textContent ?? ''));
    assert.equal(await page.textContent('#ecid'), ecid, 'getIdentity answers the ECID in the cookie');
    await eventually('the impression in the report', async () => (await report()).impressions >= 1 || undefined);

    // The next page load is the same device: the cookie travels back and the ECID stays.
    await page.goto(`${server.url}/demo/?configId=${configId}`);
    await page.waitForSelector('#sale-banner');
    const later = (await context.cookies()).find((c) => c.name === `${PREFIX}_identity`);
    assert.equal(ecidFromIdentityCookie(later?.value ?? ''), ecid);
    await context.close();
  });

  it('reports a click on personalized content by beacon, counted as the activity’s click conversion', async () => {
    const { context, page, edge } = await visitor();
    await page.goto(`${server.url}/demo/?configId=${configId}`);
    await page.waitForSelector('#sale-banner');
    const before = await report();
    await page.click('#sale-link');
    const click = await eventually('the click notification', () => edge.find((r) => r.body?.events?.[0]?.xdm?.eventType === 'decisioning.propositionInteract'));
    assert.equal(click.path, '/ee/v1/collect', 'a click on a link goes by sendBeacon to /collect');
    assert.deepEqual(click.body.events[0].xdm._experience.decisioning.propositionEventType, { interact: 1 });
    assert.equal(click.body.events[0].xdm._experience.decisioning.propositions[0].scopeDetails.activity.id, activityId);
    await eventually('the click conversion in the report', async () => (await report()).conversions > before.conversions || undefined);
    await context.close();
  });

  it('sends a page view and re-renders the activity on single-page view changes', async () => {
    const { context, page, edge } = await visitor();
    await page.goto(`${server.url}/demo/?configId=${configId}`);
    await page.waitForSelector('#sale-banner');
    const answered = page.waitForResponse((r) => r.url().includes('/ee/v1/interact') && (r.request().postData() ?? '').includes('"name":"/demo/category/footwear"'));
    await page.click('nav.categories a[href="/demo/category/footwear"]');
    await answered;
    // The category page has no #hero: the banner's item waits for it, but nothing else stays hidden.
    await page.waitForFunction(() => document.getElementById('meridian-prehiding') === null, undefined, { timeout: 1000 });
    assert.equal(await page.textContent('#promo'), 'Members get free returns');
    await page.click('a.brand');
    await page.waitForSelector('#sale-banner');
    const views = edge.filter((r) => r.body?.events?.[0]?.xdm?.eventType === 'web.webpagedetails.pageViews').map((r) => r.body.events[0].xdm.web.webPageDetails.name);
    assert.deepEqual(views, ['/demo/', '/demo/category/footwear', '/demo/']);
    await context.close();
  });

  it('with consent out sends nothing and renders nothing, until the visitor allows', async () => {
    const { context, page, edge } = await visitor();
    await page.goto(`${server.url}/demo/?configId=${configId}&consent=out`);
    await page.waitForFunction(() => document.getElementById('ecid')?.textContent?.startsWith('none'));
    assert.equal(await page.$('#meridian-prehiding'), null, 'prehiding is lifted at once');
    assert.match((await page.textContent('#hero')) ?? '', /Gear for every trail/);
    await page.click('nav.categories a[href="/demo/category/packs"]');
    await page.click('#promo');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(edge.map((r) => r.path), [], 'no request reached the edge');
    assert.equal((await context.cookies()).find((c) => c.name === `${PREFIX}_identity`), undefined);

    await page.click('#consent-in');
    await page.waitForFunction(() => /^\d{38}$/.test(document.getElementById('ecid')?.textContent ?? ''));
    assert.deepEqual(edge[0].body.consent, [{ standard: 'Adobe', version: '1.0', value: { general: 'in' } }]);
    assert.equal(edge[0].path, '/ee/v1/privacy/set-consent');
    await page.click('a.brand');
    await page.waitForSelector('#sale-banner');
    await context.close();
  });

  it('with consent pending holds the page view until the visitor chooses; declining drops it', async () => {
    const allow = await visitor();
    await allow.page.goto(`${server.url}/demo/?configId=${configId}&consent=pending`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(eventTypes(allow.edge, '/ee/v1/interact'), [], 'nothing is sent while consent is pending');
    await allow.page.click('#consent-in');
    await allow.page.waitForSelector('#sale-banner');
    assert.ok(eventTypes(allow.edge, '/ee/v1/interact').includes('web.webpagedetails.pageViews'), 'the queued page view went out');
    await allow.context.close();

    const decline = await visitor();
    await decline.page.goto(`${server.url}/demo/?configId=${configId}&consent=pending`);
    await decline.page.click('#consent-out');
    await decline.page.waitForFunction(() => document.getElementById('consent-state')?.textContent === 'out');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(decline.edge.map((r) => r.path), ['/ee/v1/privacy/set-consent'], 'only the choice itself is sent');
    assert.deepEqual(decline.edge[0].body.consent[0].value, { general: 'out' });
    assert.match((await decline.page.textContent('#hero')) ?? '', /Gear for every trail/);
    const cookies = (await decline.context.cookies()).map((c) => `${c.name}=${c.value}`);
    assert.deepEqual(cookies, [`${PREFIX}_consent=general=out`], 'no device ID is kept, only the choice');
    await decline.context.close();
  });

  it('signing in sends the CRM id and email as authenticated identities, linked to the device', async () => {
    const { context, page, edge } = await visitor();
    await page.goto(`${server.url}/demo/login?configId=${configId}`);
    await page.fill('input[name=email]', 'Ann.Lee@Example.com');
    await page.fill('input[name=crmId]', 'C100042');
    await page.click('button[type=submit]');
    const login = await eventually('the login event', () => edge.find((r) => r.body?.events?.[0]?.xdm?.eventType === 'userAccount.login'));
    const ids = login.body.events[0].xdm.identityMap;
    assert.equal(ids.Email[0].id, 'ann.lee@example.com');
    assert.equal(ids.Email[0].authenticatedState, 'authenticated');
    assert.equal(ids.CRMID[0].id, 'C100042');
    assert.equal(ids.CRMID[0].authenticatedState, 'authenticated');
    assert.equal(ids.CRMID[0].primary, true);
    assert.equal(ids.Email[0].primary, false);
    await page.waitForSelector('#sale-banner');
    const home = edge.filter((r) => r.body?.events?.[0]?.xdm?.eventType === 'web.webpagedetails.pageViews').at(-1);
    assert.equal(home?.body.events[0].xdm.identityMap.CRMID[0].id, ids.CRMID[0].id, 'later events carry the identities too');

    const ecid = ecidFromIdentityCookie((await context.cookies()).find((c) => c.name === `${PREFIX}_identity`)?.value ?? '');
    const graph = await eventually('the identity graph linking email and device', async () => {
      const res = await server.api('GET', `/api/v1/identity/graph?identity=${encodeURIComponent('Email:ann.lee@example.com')}`);
      return res.status === 200 && JSON.stringify(res.body).includes(ecid ?? 'no ecid') ? res.body : undefined;
    });
    assert.ok(JSON.stringify(graph).includes(ids.CRMID[0].id));
    await context.close();
  });
});
