import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { createActivity, createDatastream, createOffer, edgeCall, handlesOf, PREFIX } from '../edge-fixtures.ts';
import { decodeIdentityCookie, encodeIdentityCookie, isEcid, mintEcid } from './identity-cookie.ts';

let server: TestServer;
let ds: { id: string; eventDatasetId: string };
let heroActivity: string;

const pageView = (url = 'https://shop.example.test/', extra: Record<string, unknown> = {}) => ({
  xdm: { eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { URL: url, name: 'home' } }, implementationDetails: { name: 'test' }, ...extra },
  query: { personalization: { decisionScopes: ['__view__', 'hero'] } },
});
const stateOf = (ecid: string) => ({ meta: { state: { domain: 'example.test', cookiesEnabled: true, entries: [{ key: `${PREFIX}_identity`, value: encodeIdentityCookie(ecid) }] } } });

before(async () => {
  server = await startTestServer();
  ds = await createDatastream(server, { allowedOrigins: ['https://shop.example.test'] });
  const a = await createOffer(server, { type: 'html', html: '<b>A</b>' });
  const b = await createOffer(server, { type: 'html', html: '<b>B</b>' });
  heroActivity = await createActivity(server, {
    name: 'hero test',
    type: 'ab',
    location: { scopes: ['hero'] },
    experiences: [
      { id: 'A', name: 'A', offerIds: [a], control: true, traffic: 50 },
      { id: 'B', name: 'B', offerIds: [b], traffic: 50 },
    ],
  });
  const dom = await createOffer(server, { type: 'dom-actions', actions: [{ type: 'setHtml', selector: '#banner', content: 'Welcome back' }] });
  await createActivity(server, { name: 'page banner', type: 'xt', location: { scopes: ['__view__'] }, experiences: [{ id: 'all', name: 'everyone', offerIds: [dom] }], fallbackExperienceId: 'all' });
});
after(() => server.stop());

describe('identity', () => {
  test('interact mints a 38-digit ECID, returns it with its cookie and location hint, and keeps it', async () => {
    const first = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}&requestId=r-1`, { events: [pageView()] });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.requestId, 'r-1');
    const ecid = handlesOf(first.body, 'identity:result')[0].payload[0].id;
    assert.ok(isEcid(ecid), ecid);
    assert.deepEqual(handlesOf(first.body, 'identity:result')[0].payload[0].namespace, { code: 'ECID' });
    const store = handlesOf(first.body, 'state:store')[0].payload;
    const cookie = store.find((e: { key: string }) => e.key === `${PREFIX}_identity`);
    assert.equal(decodeIdentityCookie(cookie.value), ecid, 'the cookie is base64url protobuf with field 1 = ECID');
    assert.equal(cookie.maxAge, 34_128_000);
    assert.ok(store.some((e: { key: string }) => e.key === `${PREFIX}_cluster`));
    const hint = handlesOf(first.body, 'locationHint:result')[0].payload[0];
    assert.equal(hint.scope, 'EdgeNetwork');

    // The next call, on the hinted path, with the cookie as a state entry (alloy) or an HTTP cookie.
    const again = await edgeCall(server, `/ee/${hint.hint}/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(ecid) });
    assert.equal(handlesOf(again.body, 'identity:result')[0].payload[0].id, ecid);
    const viaCookie = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] }, { cookie: `${PREFIX}_identity=${cookie.value}` });
    assert.equal(handlesOf(viaCookie.body, 'identity:result')[0].payload[0].id, ecid);
  });

  test('identity/acquire answers identity handles only', async () => {
    const res = await edgeCall(server, `/ee/v1/identity/acquire?configId=${ds.id}`, { query: { identity: { fetch: ['ECID'] } } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.handle.map((h: { type: string }) => h.type).sort(), ['identity:result', 'locationHint:result', 'state:store']);
  });
});

describe('decisions', () => {
  test('the page scope gets the setHtml dom action; a named scope gets its A/B offer, sticky per ECID', async () => {
    const ecid = mintEcid();
    const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(ecid) });
    const decisions = handlesOf(res.body, 'personalization:decisions')[0];
    assert.equal(decisions.eventIndex, 0);
    const view = decisions.payload.find((p: { scope: string }) => p.scope === '__view__');
    assert.equal(view.items[0].schema, 'https://ns.adobe.com/personalization/dom-action');
    assert.deepEqual({ type: view.items[0].data.type, selector: view.items[0].data.selector, content: view.items[0].data.content }, { type: 'setHtml', selector: '#banner', content: 'Welcome back' });
    const hero = decisions.payload.find((p: { scope: string }) => p.scope === 'hero');
    assert.equal(hero.scopeDetails.activity.id, heroActivity);
    for (let i = 0; i < 3; i++) {
      const again = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(ecid) });
      const p = handlesOf(again.body, 'personalization:decisions')[0].payload.find((x: { scope: string }) => x.scope === 'hero');
      assert.equal(p.scopeDetails.experience.id, hero.scopeDetails.experience.id, 'the same visitor keeps its experience');
    }
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const other = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] });
      seen.add(handlesOf(other.body, 'personalization:decisions')[0].payload.find((x: { scope: string }) => x.scope === 'hero').scopeDetails.experience.id);
    }
    assert.deepEqual([...seen].sort(), ['A', 'B'], 'visitors are split between the experiences');
  });

  test('an event in the request qualifies an edge audience that changes the decision in the same response', async () => {
    const audience = await server.api('POST', '/api/v1/audiences', {
      name: 'viewed a product today',
      expression: { type: 'PQL', format: 'pql/text', value: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productViews") WHEN(< 24 hours before now)])' },
    });
    assert.equal(audience.status, 201, JSON.stringify(audience.body));
    assert.equal(audience.body.classification.method, 'edge');
    assert.equal(audience.body.evaluationInfo.synchronous.enabled, true);
    const generic = await createOffer(server, { type: 'json', json: { banner: 'generic' } });
    const product = await createOffer(server, { type: 'json', json: { banner: 'you looked at a product' } });
    await createActivity(server, {
      name: 'product interest',
      type: 'xt',
      location: { scopes: ['recs'] },
      experiences: [
        { id: 'interested', name: 'interested', offerIds: [product], audience: { type: 'audience', audienceId: audience.body.id } },
        { id: 'default', name: 'default', offerIds: [generic] },
      ],
      fallbackExperienceId: 'default',
    });
    // Edge audiences are reloaded at most once a second: let the new one be seen.
    await new Promise((r) => setTimeout(r, 1100));
    const ecid = mintEcid();
    const scopes = { query: { personalization: { decisionScopes: ['recs'] } } };
    const before = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [{ xdm: { eventType: 'web.webpagedetails.pageViews' }, ...scopes }], ...stateOf(ecid) });
    assert.deepEqual(handlesOf(before.body, 'personalization:decisions')[0].payload[0].items[0].data.content, { banner: 'generic' });
    const same = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [{ xdm: { eventType: 'commerce.productViews' }, ...scopes }], ...stateOf(ecid) });
    assert.deepEqual(handlesOf(same.body, 'personalization:decisions')[0].payload[0].items[0].data.content, { banner: 'you looked at a product' });
    const memberships = handlesOf(same.body, 'meridian:audiences')[0].payload;
    assert.deepEqual(memberships.find((m: { id: string }) => m.id === audience.body.id), { id: audience.body.id, status: 'realized', edge: true });
    // The next page (no product view in it) still qualifies: the edge holds the visitor's recent events.
    const next = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [{ xdm: { eventType: 'web.webpagedetails.pageViews' }, ...scopes }], ...stateOf(ecid) });
    assert.deepEqual(handlesOf(next.body, 'personalization:decisions')[0].payload[0].items[0].data.content, { banner: 'you looked at a product' });
  });

  test('a display notification counts an impression; an interact notification a click', async () => {
    const ecid = mintEcid();
    const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(ecid) });
    const hero = handlesOf(res.body, 'personalization:decisions')[0].payload.find((p: { scope: string }) => p.scope === 'hero');
    const before = (await server.api('GET', `/api/v1/activities/${heroActivity}/report`)).body;
    const notify = (eventType: string, kind: string) => ({
      events: [{ xdm: { eventType, _experience: { decisioning: { propositions: [{ id: hero.id, scope: hero.scope, scopeDetails: hero.scopeDetails }], propositionEventType: { [kind]: 1 } } } } }],
      ...stateOf(ecid),
    });
    const shown = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, notify('decisioning.propositionDisplay', 'display'));
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    const clicked = await edgeCall(server, `/ee/v1/collect?configId=${ds.id}`, notify('decisioning.propositionInteract', 'interact'));
    assert.equal(clicked.status, 204);
    await new Promise((r) => setTimeout(r, 50));
    const report = (await server.api('GET', `/api/v1/activities/${heroActivity}/report`)).body;
    const total = (r: { experiences: { visitors: number; conversions: number }[] }, k: 'visitors' | 'conversions') => r.experiences.reduce((n, e) => n + e[k], 0);
    assert.equal(total(report, 'visitors'), total(before, 'visitors') + 1, JSON.stringify(report.experiences));
    assert.equal(total(report, 'conversions'), total(before, 'conversions') + 1);
  });
});

describe('requests the edge refuses or answers in part', () => {
  test('an unknown configId is a 404 that reveals nothing', async () => {
    const res = await edgeCall(server, '/ee/v1/interact?configId=00000000-0000-4000-8000-000000000000', { events: [pageView()] });
    assertProblem(res, 404, 'DATASTREAM_NOT_FOUND');
    assert.doesNotMatch(res.body.detail, /sandbox|prod/);
    assertProblem(await edgeCall(server, '/ee/v1/interact', { events: [pageView()] }), 404, 'DATASTREAM_NOT_FOUND');
  });

  test('a body over 64 KB is a 413', async () => {
    const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], padding: 'x'.repeat(70 * 1024) });
    assertProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('not JSON, or no events, is a 400', async () => {
    assertProblem(await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, '{nope'), 400, 'INVALID_JSON');
    assertProblem(await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { meta: {} }), 400, 'BAD_REQUEST');
  });

  test('a malformed event is refused alone (207) while the others are answered and stored', async () => {
    const sandboxId = (await server.running.platform.tenancy.getSandbox('prod')).id;
    const count = () => server.running.platform.records.countByDataset(sandboxId, ds.eventDatasetId);
    const stored = await count();
    const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, {
      events: ['not an event', pageView('https://shop.example.test/', { web: { webPageDetails: { URL: 'https://shop.example.test/', madeUp: 1 } } }), { xdm: { eventType: 'x', timestamp: 'yesterday' } }],
    });
    assert.equal(res.status, 207, JSON.stringify(res.body));
    assert.deepEqual(res.body.errors.map((e: { report: { eventIndex: number } }) => e.report.eventIndex), [0, 2]);
    assert.match(res.body.errors[1].detail, /events\[2\]\.xdm\.timestamp/);
    assert.equal(handlesOf(res.body, 'personalization:decisions')[0].eventIndex, 1);
    assert.deepEqual(res.body.warnings.map((w: { report: { path: string } }) => w.report.path), ['xdm.web.webPageDetails.madeUp'], 'fields outside the schema are named (but SDK bookkeeping)');
    assert.equal(await count(), stored + 1, 'the good event is stored before the answer');
    const [latest] = await server.running.platform.records.listByDataset(sandboxId, ds.eventDatasetId, { limit: 1 }); // newest first
    assert.match(latest.recordId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'an event without _id gets a time-ordered (version 7) UUID');
    // An event with its own _id but no timestamp gets the server's time: sent again, it is still the same event.
    const untimed = { events: [{ xdm: { _id: 'edge-untimed-1', eventType: 'web.webpagedetails.pageViews' } }] };
    assert.equal((await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, untimed)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal((await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, untimed)).status, 200);
    assert.equal(await count(), stored + 2, 'stored once');
  });

  test('consent out: no decisions, no audiences and nothing stored', async () => {
    const sandboxId = (await server.running.platform.tenancy.getSandbox('prod')).id;
    const stored = await server.running.platform.records.countByDataset(sandboxId, ds.eventDatasetId);
    const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, {
      events: [pageView()],
      meta: { consent: [{ standard: 'Adobe', version: '1.0', value: { general: 'out' } }] },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(handlesOf(res.body, 'personalization:decisions').flatMap((h) => h.payload), []);
    assert.deepEqual(handlesOf(res.body, 'meridian:audiences'), []);
    assert.equal(await server.running.platform.records.countByDataset(sandboxId, ds.eventDatasetId), stored);
    const personalizeOnly = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, {
      events: [pageView()],
      meta: { consent: { standard: 'Adobe', version: '2.0', value: { collect: { val: 'y' }, personalize: { content: { val: 'n' } } } } },
    });
    assert.deepEqual(handlesOf(personalizeOnly.body, 'personalization:decisions').flatMap((h) => h.payload), []);
    assert.equal(await server.running.platform.records.countByDataset(sandboxId, ds.eventDatasetId), stored + 1, 'collection was allowed');
    const consent = await edgeCall(server, `/ee/v1/privacy/set-consent?configId=${ds.id}`, { consent: [{ standard: 'Adobe', version: '1.0', value: { general: 'out' } }] });
    const cookie = handlesOf(consent.body, 'state:store').flatMap((h) => h.payload).find((e: { key: string }) => e.key === `${PREFIX}_consent`);
    assert.equal(cookie.value, 'general=out');
    const withCookie = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] }, { cookie: `${PREFIX}_consent=general%3Dout` });
    assert.deepEqual(handlesOf(withCookie.body, 'personalization:decisions').flatMap((h) => h.payload), []);
  });

  test("a profile's own consent (personalize = n) stops decisions for that person", async () => {
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'consent_crm', schemaId: 'profile', profileEnabled: true });
    assert.equal(crm.status, 201, JSON.stringify(crm.body));
    const [optedOut, optedIn] = [mintEcid(), mintEcid()];
    const ingest = await server.api('POST', `/api/v1/ingest/${crm.body.id}`, [
      { _id: 'c-out', identityMap: { ECID: [{ id: optedOut, primary: true }] }, consents: { personalize: { content: { val: 'n' } } } },
      { _id: 'c-in', identityMap: { ECID: [{ id: optedIn, primary: true }] }, consents: { personalize: { content: { val: 'y' } } } },
    ]);
    assert.equal(ingest.status, 200, JSON.stringify(ingest.body));
    await server.running.platform.settleProfiles();
    const out = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(optedOut) });
    assert.deepEqual(handlesOf(out.body, 'personalization:decisions').flatMap((h) => h.payload), []);
    const inside = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()], ...stateOf(optedIn) });
    assert.equal(handlesOf(inside.body, 'personalization:decisions')[0].payload.length, 2);
  });

  test('CORS: a listed origin is echoed with credentials, a preflight granted; another origin is refused', async () => {
    const origin = 'https://shop.example.test';
    const ok = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] }, { origin });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), origin);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    const preflight = await fetch(`${server.url}/ee/v1/interact?configId=${ds.id}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const denied = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] }, { origin: 'https://evil.example' });
    assertProblem(denied, 403, 'EDGE_ORIGIN_FORBIDDEN');
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const sameOrigin = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [pageView()] }, { origin: new URL(server.url).origin });
    assert.equal(sameOrigin.status, 200, 'a page Meridian served itself (the demo storefront) needs no CORS grant');
  });

  test('a datastream over its rate gets 429 with Retry-After', async () => {
    const slow = await createDatastream(server, { rateLimit: { requestsPerSecond: 1, burst: 1 } });
    assert.equal((await edgeCall(server, `/ee/v1/collect?configId=${slow.id}`, { events: [pageView()] })).status, 204);
    const refused = await edgeCall(server, `/ee/v1/collect?configId=${slow.id}`, { events: [pageView()] });
    assertProblem(refused, 429, 'EDGE_RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });

  test('sandboxes do not see each other: a dev datastream gets none of prod activities', async () => {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'edge-dev' })).status, 201);
    const dev = await createDatastream(server, {}, 'edge-dev');
    const res = await edgeCall(server, `/ee/v1/interact?configId=${dev.id}`, { events: [pageView()] });
    assert.equal(res.status, 200);
    assert.deepEqual(handlesOf(res.body, 'personalization:decisions').flatMap((h) => h.payload), []);
    const devId = (await server.running.platform.tenancy.getSandbox('edge-dev')).id;
    assert.equal(await server.running.platform.records.countByDataset(devId, dev.eventDatasetId), 1, 'stored in the dev dataset');
  });

  test('the v2 Server API shape (one event, dataStreamId) is answered too', async () => {
    const res = await edgeCall(server, `/ee/v2/interact?dataStreamId=${ds.id}`, { event: pageView() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(handlesOf(res.body, 'personalization:decisions')[0].payload.length, 2);
  });
});
