/* eslint-disable @typescript-eslint/no-explicit-any -- SDK answers are read field by field */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { createActivity, createDatastream, createOffer, ORG_ID } from '../edge-fixtures.ts';

interface TargetOption { type: string; content: unknown; eventToken?: string; responseTokens?: Record<string, string> }
interface TargetClientLike {
  getOffers(options: { request: Record<string, unknown>; sessionId?: string; targetCookie?: string }): Promise<{ response: Record<string, any>; targetCookie?: { value: string } }>;
  sendNotifications(options: { request: Record<string, unknown>; sessionId?: string }): Promise<{ response: Record<string, any> }>;
}
// The SDK ships no type declarations: it is loaded untyped and used through the small interface above.
const TargetClient = createRequire(import.meta.url)('@adobe/target-nodejs-sdk') as { create(options: Record<string, unknown>): TargetClientLike };

let server: TestServer;
let hero: string;
let port: string;

before(async () => {
  server = await startTestServer();
  port = new URL(server.url).port;
  await createDatastream(server, {});
  const a = await createOffer(server, { type: 'json', json: { hero: 'A' } });
  const b = await createOffer(server, { type: 'json', json: { hero: 'B' } });
  hero = await createActivity(server, {
    name: 'hero json',
    type: 'ab',
    location: { scopes: ['hero'] },
    experiences: [
      { id: 'A', name: 'A', offerIds: [a], control: true, traffic: 50 },
      { id: 'B', name: 'B', offerIds: [b], traffic: 50 },
    ],
  });
  const html = await createOffer(server, { type: 'html', html: '<p>page</p>' });
  await createActivity(server, { name: 'page load', type: 'xt', location: { scopes: ['__view__'] }, experiences: [{ id: 'all', name: 'all', offerIds: [html] }], fallbackExperienceId: 'all' });
  const dom = await createOffer(server, { type: 'dom-actions', actions: [{ type: 'setHtml', selector: '#promo', content: 'Sale' }] });
  await createActivity(server, { name: 'promo actions', type: 'xt', location: { scopes: ['promo'] }, experiences: [{ id: 'all', name: 'all', offerIds: [dom] }], fallbackExperienceId: 'all' });
});
after(() => server.stop());

function client(): TargetClientLike {
  return TargetClient.create({
    client: 'meridian',
    organizationId: ORG_ID,
    serverDomain: `127.0.0.1:${port}`,
    secure: false,
    telemetryEnabled: false,
    logger: { debug: () => undefined, error: () => undefined },
  });
}

describe('the real @adobe/target-nodejs-sdk', () => {
  test('gets page-load, json and dom-action offers from Meridian activities, and keeps its visitor', async () => {
    const target = client();
    const first = await target.getOffers({
      request: {
        context: { channel: 'web', address: { url: 'https://shop.example.test/' }, userAgent: 'Mozilla/5.0 (Macintosh) Chrome/120' },
        execute: { pageLoad: {}, mboxes: [{ name: 'hero', index: 1 }, { name: 'promo', index: 2 }, { name: 'nothing-here', index: 3 }] },
      },
    });
    const response = first.response;
    assert.equal(response.status, 200);
    assert.equal(response.edgeHost, undefined, 'no edgeHost: the SDK would leave serverDomain');
    assert.doesNotMatch(response.id.tntId, /\./, 'no location suffix on the tntId');
    assert.equal(response.execute.pageLoad.options[0].type, 'html');
    assert.equal(response.execute.pageLoad.options[0].content, '<p>page</p>');
    const [heroBox, promoBox, empty] = response.execute.mboxes;
    assert.equal(heroBox.name, 'hero');
    assert.equal(heroBox.options[0].type, 'json');
    const seen = (heroBox.options[0].content as { hero: string }).hero;
    assert.ok(['A', 'B'].includes(seen));
    assert.equal(heroBox.options[0].responseTokens['activity.id'], hero);
    assert.equal(promoBox.options[0].type, 'actions');
    assert.deepEqual(promoBox.options[0].content, [{ type: 'setHtml', selector: '#promo', cssSelector: '#promo', content: 'Sale' }]);
    assert.deepEqual({ index: empty.index, name: empty.name, options: empty.options }, { index: 3, name: 'nothing-here', options: [] });
    // The same visitor (the SDK's cookie carries the tntId) gets the same experience.
    for (let i = 0; i < 3; i++) {
      const again = await target.getOffers({ request: { context: { channel: 'web' }, execute: { mboxes: [{ name: 'hero', index: 1 }] } }, targetCookie: first.targetCookie?.value });
      assert.equal(again.response.id.tntId, response.id.tntId);
      assert.equal((again.response.execute.mboxes[0].options[0].content as { hero: string }).hero, seen);
    }
  });

  test('prefetch returns eventTokens and counts nothing until a display notification', async () => {
    const target = client();
    const reportVisitors = async () => ((await server.api('GET', `/api/v1/activities/${hero}/report`)).body.experiences as { visitors: number }[]).reduce((n, e) => n + e.visitors, 0);
    const before = await reportVisitors();
    const prefetched = await target.getOffers({ request: { context: { channel: 'web' }, prefetch: { mboxes: [{ name: 'hero', index: 0 }] } } });
    const option = prefetched.response.prefetch.mboxes[0].options[0] as TargetOption;
    assert.equal(typeof option.eventToken, 'string');
    assert.equal(await reportVisitors(), before, 'prefetch is not an impression');
    const sent = await target.sendNotifications({
      request: {
        id: prefetched.response.id,
        context: { channel: 'web' },
        notifications: [{ id: 'n-1', type: 'display', timestamp: Date.now(), tokens: [option.eventToken], mbox: { name: 'hero' } }],
      },
    });
    assert.deepEqual(sent.response.notifications.map((n: { id: string }) => n.id), ['n-1']);
    assert.equal(await reportVisitors(), before + 1);
  });
});

describe('on-device decisioning', () => {
  test('the SDK decides locally from the rules artifact and gives each visitor the server\'s experience', async () => {
    const artifactLocation = `${server.url}/rest/v1/artifact/rules.json?imsOrgId=${encodeURIComponent(ORG_ID)}`;
    const artifact = (await (await fetch(artifactLocation)).json()) as { localMboxes: string[]; remoteMboxes: string[]; meta: { clientCode: string } };
    assert.deepEqual(artifact.localMboxes, ['hero', 'promo', 'target-global-mbox']);
    const target = await new Promise<TargetClientLike>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the SDK never became ready')), 10_000);
      const created: TargetClientLike = TargetClient.create({
        client: artifact.meta.clientCode,
        organizationId: ORG_ID,
        serverDomain: `127.0.0.1:${port}`,
        secure: false,
        telemetryEnabled: false,
        decisioningMethod: 'on-device',
        artifactLocation,
        pollingInterval: 0,
        logger: { debug: () => undefined, error: () => undefined },
        events: { clientReady: () => { clearTimeout(timer); setImmediate(() => resolve(created)); } },
      });
    });
    const split = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const tntId = `device-visitor-${i}`;
      const local = await target.getOffers({ request: { id: { tntId }, context: { channel: 'web' }, execute: { mboxes: [{ name: 'hero', index: 0 }] } } });
      const remote = await fetch(`${server.url}/rest/v1/delivery?imsOrgId=${encodeURIComponent(ORG_ID)}&sessionId=s-${i}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: { tntId }, context: { channel: 'web' }, execute: { mboxes: [{ name: 'hero', index: 0 }] } }),
      }).then((r) => r.json() as Promise<any>);
      assert.equal((local as any).meta.decisioningMethod, 'on-device', JSON.stringify((local as any).meta));
      assert.deepEqual((local as any).meta.remoteMboxes, [], 'decided on the device, not by a call');
      const seen = local.response.execute.mboxes[0].options[0].content as { hero: string };
      assert.deepEqual(seen, remote.execute.mboxes[0].options[0].content, `visitor ${tntId}`);
      split.add(seen.hero);
    }
    assert.deepEqual([...split].sort(), ['A', 'B']);
  });
});

describe('the delivery endpoint over plain HTTP', () => {
  const call = (query: string, body: unknown) =>
    fetch(`${server.url}/rest/v1/delivery?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => ({ status: res.status, headers: res.headers, body: (await res.json()) as any }));

  test('client codes map to the datastream: the orgId before @ or its name', async () => {
    const byClient = await call('client=53a16acb5cc1d3760a495c99&sessionId=s1', { context: { channel: 'web' }, execute: { mboxes: [{ name: 'hero', index: 0 }] }, id: { tntId: 'abc.28_0' } });
    assert.equal(byClient.status, 200, JSON.stringify(byClient.body));
    assert.equal(byClient.body.client, '53a16acb5cc1d3760a495c99');
    assert.equal(byClient.body.id.tntId, 'abc', 'a location suffix sent in is dropped');
    assert.equal(byClient.body.execute.mboxes[0].options.length, 1);
    const beacon = await fetch(`${server.url}/rest/v1/delivery?client=53a16acb5cc1d3760a495c99&sessionId=s1`, { method: 'POST', body: JSON.stringify({ context: { channel: 'web', beacon: true }, notifications: [] }) });
    assert.equal(beacon.status, 204, 'a beacon gets no content');
  });

  test('an unknown client is a 404; a malformed request names its fields', async () => {
    assertProblem(await call('client=nobody&sessionId=s1', { context: { channel: 'web' } }), 404, 'DATASTREAM_NOT_FOUND');
    const bad = await call(`imsOrgId=${encodeURIComponent(ORG_ID)}&sessionId=s1`, { execute: { mboxes: [{ index: 0 }, { name: 'x', index: 0 }, { name: 'y', index: 0 }] } });
    assertProblem(bad, 400, 'VALIDATION_FAILED');
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path), ['context', 'execute.mboxes[0].name', 'execute.mboxes[2].index']);
    assertProblem(await call(`imsOrgId=${encodeURIComponent(ORG_ID)}&sessionId=has%20space`, { context: {} }), 400, 'BAD_REQUEST');
  });
});
