/* eslint-disable @typescript-eslint/no-explicit-any -- edge answers and API bodies are read field by field */
/**
 * The demo journey a new user tries (issue 5, "Done when"): one server loaded with the seeded
 * demo, the storefront in headless Chromium as a visitor who arrives anonymous, browses footwear
 * and signs in as a gold/platinum loyalty member; every step is checked in the page, in the edge's
 * answer and through the admin API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { launchChromium } from '../../../sdk-web/testing/chromium.ts';
import { ecidFromIdentityCookie } from '../../../sdk-web/src/cookies.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { demoData, type DemoCustomer } from './demo-data.ts';
import { FOOTWEAR_VIEWERS_PQL, loadDemo, type DemoSummary } from './load-demo.ts';

const OPTIONS = { customers: 80, seed: 5150, now: Date.now() };
const DEFAULT_HERO = 'Gear for every trail';
const HERO_BY_EXPERIENCE: Record<string, string> = { A: DEFAULT_HERO, B: 'Free shipping on everything this week' };
const DEFAULT_PROMO = 'Free shipping on orders over $75';
const FOOTWEAR_PROMO = 'New trail runners are in. 15% off footwear with code TRAIL15';
const MEMBERS_PROMO = 'Trail Club members: double points on every order this month';

let server: TestServer;
let browser: Browser;
let demo: DemoSummary;
let member: DemoCustomer;
let context: BrowserContext;
let page: Page;
/** What the journey learnt along the way, for the later steps. */
const seen = { ecid: '', heroExperiences: new Set<string>() };

interface Decision {
  activityId: string;
  experienceId: string;
}

interface PageViewAnswer {
  decisions: Decision[];
  audiences: { id: string; status: string; edge?: boolean }[];
}

/** The member the demo suggests signing in as, checked against the loyalty file itself. */
function goldMember(): DemoCustomer {
  const suggested = demo.sampleMember;
  assert.ok(suggested, 'the demo names a member to sign in as');
  const data = demoData(OPTIONS);
  const row = data.loyaltyCsv.split('\n').find((line) => line.startsWith(`${suggested.crmId},`));
  assert.ok(row, 'the member is in the loyalty file');
  const tier = row.split(',')[3];
  assert.ok(['gold', 'platinum'].includes(tier), `a gold or platinum member: ${tier}`);
  assert.equal(suggested.tier, tier);
  assert.ok(!data.crmCsv.split('\n')[0].includes('loyalty'), 'the tier comes from the loyalty file, not the CRM export');
  const customer = data.customers.find((c) => c.crmId === suggested.crmId);
  assert.ok(customer && customer.email === suggested.email);
  assert.equal(customer.tier, tier, 'the generator knows the tier it wrote');
  return customer;
}

/** Waits for the edge's answer to the page view of `view` (a path), as the SDK received it. */
async function pageViewAnswer(view: string, action: () => Promise<unknown>): Promise<PageViewAnswer> {
  const answered = page.waitForResponse((r: Response) => {
    if (!r.url().includes('/ee/v1/interact')) return false;
    const sent = r.request().postData() ?? '';
    return sent.includes('"web.webpagedetails.pageViews"') && sent.includes(`"name":${JSON.stringify(view)}`);
  });
  await action();
  const response = await answered;
  assert.equal(response.status(), 200, await response.text());
  const body = await response.json();
  const handles = (type: string) => (body.handle as any[]).filter((h) => h.type === type).flatMap((h) => h.payload);
  return {
    decisions: handles('personalization:decisions').map((p: any) => ({ activityId: p.scopeDetails.activity.id, experienceId: p.scopeDetails.experience.id })),
    audiences: handles('meridian:audiences'),
  };
}

const text = async (selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();

/** The page has rendered its decisions: the install snippet's and the SDK's prehiding are gone. */
async function rendered(): Promise<void> {
  await page.waitForFunction(() => !document.getElementById('meridian-prehiding') && getComputedStyle(document.getElementById('promo')!).opacity !== '0');
}

async function identityCookieEcid(): Promise<string | undefined> {
  const cookie = (await context.cookies()).find((c) => /^kndctr_.+_identity$/.test(c.name));
  return cookie ? ecidFromIdentityCookie(cookie.value) : undefined;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
  demo = await loadDemo(server.running, OPTIONS);
  member = goldMember();
  context = await browser.newContext();
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the demo journey, as a new user tries it', () => {
  it('the "Viewed footwear" audience is one the edge evaluates (so it can change the page it is qualified on)', async () => {
    const validated = await server.api('POST', '/api/v1/audiences/validate', { expression: { type: 'PQL', format: 'pql/text', value: FOOTWEAR_VIEWERS_PQL } });
    assert.equal(validated.status, 200, JSON.stringify(validated.body));
    assert.equal(validated.body.classification.method, 'edge', validated.body.classification.reasons.join('; '));
    const audience = await server.api('GET', `/api/v1/audiences/${demo.audiences.footwearViewers}`);
    assert.equal(audience.body.evaluationInfo.synchronous.enabled, true);
  });

  it('1. an anonymous visitor gets a device ID cookie and one hero of the A/B test, the same on reload', async (t) => {
    const first = await pageViewAnswer('/demo/', () => page.goto(`${server.url}/demo/?configId=${demo.datastreamId}`));
    const hero = first.decisions.filter((d) => d.activityId === demo.activities.hero);
    assert.equal(hero.length, 1, `the home page view is in the A/B test: ${JSON.stringify(first.decisions)}`);
    assert.ok(!first.decisions.some((d) => d.activityId === demo.activities.banner), 'an anonymous first visit is in none of the banner’s audiences');
    const experience = hero[0].experienceId;
    assert.ok(experience in HERO_BY_EXPERIENCE, experience);
    seen.heroExperiences.add(experience);
    t.diagnostic(`hero experience ${experience}`);
    await rendered();
    assert.equal(await text('#hero h1'), HERO_BY_EXPERIENCE[experience]);
    assert.equal(await text('#promo'), DEFAULT_PROMO, 'an anonymous first visit has no banner offer');

    const ecid = await identityCookieEcid();
    assert.match(ecid ?? '', /^\d{38}$/, 'the identity cookie holds an ECID');
    seen.ecid = ecid!;
    await page.waitForFunction((id) => document.getElementById('ecid')?.textContent === id, ecid);

    const again = await pageViewAnswer('/demo/', () => page.reload());
    assert.deepEqual(again.decisions.filter((d) => d.activityId === demo.activities.hero).map((d) => d.experienceId), [experience], 'sticky assignment');
    await rendered();
    assert.equal(await text('#hero h1'), HERO_BY_EXPERIENCE[experience]);
    assert.equal(await identityCookieEcid(), ecid, 'the same device after a reload');
  });

  it('2. browsing to footwear qualifies the edge audience on that page view and turns the banner into the footwear offer', async () => {
    const answer = await pageViewAnswer('/demo/category/footwear', () => page.click('nav.categories a[href="/demo/category/footwear"]'));
    assert.ok(
      answer.audiences.some((a) => a.id === demo.audiences.footwearViewers && a.status === 'realized' && a.edge === true),
      `qualified at the edge in the same request: ${JSON.stringify(answer.audiences)}`,
    );
    assert.deepEqual(answer.decisions, [{ activityId: demo.activities.banner, experienceId: 'footwear' }]);
    await page.waitForFunction((offer) => document.getElementById('promo')?.textContent?.replace(/\s+/g, ' ').trim() === offer, FOOTWEAR_PROMO);
    await rendered();
    assert.equal(await text('#app h1'), 'Footwear');
  });

  it('3. signing in as a gold/platinum member: the loyalty file turns the banner into the members’ offer, and the graph links the device', async () => {
    assert.ok(['gold', 'platinum'].includes(member.tier ?? ''));
    await page.click('#login-link');
    await page.waitForSelector('#login-form');
    await page.fill('input[name=email]', member.email.toUpperCase());
    await page.fill('input[name=crmId]', '');
    const answer = await pageViewAnswer('/demo/category/footwear', () => page.click('#login-form button[type=submit]'));
    assert.ok(answer.audiences.some((a) => a.id === demo.audiences.loyalMembers && a.status === 'realized'), `a loyalty member now: ${JSON.stringify(answer.audiences)}`);
    assert.deepEqual(answer.decisions, [{ activityId: demo.activities.banner, experienceId: 'members' }], 'members come before footwear browsers');
    await page.waitForFunction((offer) => document.getElementById('promo')?.textContent?.replace(/\s+/g, ' ').trim() === offer, MEMBERS_PROMO);
    assert.equal(await text('#who'), member.email);

    const graph = await eventually('the device in the customer’s identity graph', async () => {
      const res = await server.api('GET', `/api/v1/identity/graph?identity=${encodeURIComponent(`ECID:${seen.ecid}`)}`);
      if (res.status !== 200) return undefined;
      const nodes = (res.body.nodes as any[]).map((n) => `${n.namespace}:${n.id}`);
      return nodes.includes(`CRMID:${member.crmId}`) && nodes.includes(`Email:${member.email}`) ? nodes : undefined;
    });
    assert.ok(graph.includes(`ECID:${seen.ecid}`));
    const profile = await server.api('GET', `/api/v1/profiles?identity=${encodeURIComponent(`ECID:${seen.ecid}`)}`);
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.equal(profile.body.attributes.loyalty.tier, member.tier);
  });

  it('4. the A/B report counts this visitor and their impressions in the experience they saw', async () => {
    const report = await eventually('the display in the A/B report', async () => {
      const res = await server.api('GET', `/api/v1/activities/${demo.activities.hero}/report`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const seenRows = (res.body.experiences as any[]).filter((e) => seen.heroExperiences.has(e.id));
      return seenRows.length === seen.heroExperiences.size && seenRows.every((e) => e.impressions >= 1) ? res.body : undefined;
    });
    for (const experience of report.experiences as any[]) {
      if (seen.heroExperiences.has(experience.id)) {
        assert.equal(experience.visitors, 1, `one visitor in ${experience.id}`);
        assert.ok(experience.impressions >= 1 && experience.impressions <= 2, `one display per home page view in ${experience.id}: ${experience.impressions}`);
      } else {
        assert.equal(experience.visitors, 0, `nobody in ${experience.id}`);
        assert.equal(experience.impressions, 0);
      }
    }
  });

  it('5. back on the home page, the member gets both page activities: a hero of the A/B test and the members’ banner', async () => {
    const answer = await pageViewAnswer('/demo/', () => page.goto(`${server.url}/demo/?configId=${demo.datastreamId}`));
    const hero = answer.decisions.find((d) => d.activityId === demo.activities.hero);
    assert.ok(hero && hero.experienceId in HERO_BY_EXPERIENCE, `the A/B test answers: ${JSON.stringify(answer.decisions)}`);
    assert.deepEqual(answer.decisions.map((d) => d.activityId), [demo.activities.hero, demo.activities.banner], 'best priority first');
    assert.equal(answer.decisions[1].experienceId, 'members');
    await page.waitForFunction((offer) => document.getElementById('promo')?.textContent?.replace(/\s+/g, ' ').trim() === offer, MEMBERS_PROMO);
    await rendered();
    assert.equal(await text('#hero h1'), HERO_BY_EXPERIENCE[hero.experienceId]);
  });

  it('nothing of the demo or the journey is visible from another sandbox', async () => {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
    const dev = { sandbox: 'dev' };
    const datasets = await server.api('GET', '/api/v1/datasets', undefined, dev);
    assert.deepEqual((datasets.body.items as any[]).filter((d) => d.name.startsWith('demo_')), []);
    assert.equal((await server.api('GET', `/api/v1/identity/graph?identity=${encodeURIComponent(`ECID:${seen.ecid}`)}`, undefined, dev)).status, 404);
    assert.equal((await server.api('GET', `/api/v1/activities/${demo.activities.hero}/report`, undefined, dev)).status, 404);
    assert.equal((await server.api('GET', `/api/v1/audiences/${demo.audiences.loyalMembers}`, undefined, dev)).status, 404);
  });
});
