import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../storage/sqlite.ts';
import { DecisioningService } from './service.ts';
import { SqliteDecisioningStore } from './sqlite-store.ts';
import type { ActivityInput } from './model.ts';

const sandbox = { id: 'sbx_one' };
const options = { audienceExists: async (_sandboxId: string, id: string) => id === 'aud_known' };

async function setUp() {
  const db = openSqlite(':memory:');
  const service = new DecisioningService(new SqliteDecisioningStore(db), options);
  const a = await service.createOffer(sandbox, { name: 'a', content: { type: 'html', html: 'A' } });
  const b = await service.createOffer(sandbox, { name: 'b', content: { type: 'json', json: { b: true } } });
  const input: ActivityInput = {
    name: 'checkout test',
    type: 'ab',
    status: 'live',
    location: { scopes: ['checkout'] },
    audience: { type: 'not', condition: { type: 'audience', audienceId: 'aud_known' } },
    experiences: [
      { id: 'A', name: 'A', offerIds: [a.id], control: true, traffic: 50 },
      { id: 'B', name: 'B', offerIds: [b.id], traffic: 50 },
    ],
    metric: { type: 'event', eventType: 'commerce.purchases', revenueField: 'commerce.order.priceTotal' },
  };
  const activity = await service.createActivity(sandbox, input);
  return { db, service, activity, input };
}

test('a restarted service loads the live activities and decides exactly as before', async () => {
  const { db, service } = await setUp();
  const before = Array.from({ length: 50 }, (_, i) => service.decide(sandbox.id, { visitorId: `v${i}`, scopes: ['checkout'] }).propositions[0].experience.id);
  const restarted = new DecisioningService(new SqliteDecisioningStore(db), options);
  assert.equal(restarted.decide(sandbox.id, { visitorId: 'v0', scopes: ['checkout'] }).propositions.length, 0, 'nothing before load()');
  await restarted.load();
  const after = Array.from({ length: 50 }, (_, i) => restarted.decide(sandbox.id, { visitorId: `v${i}`, scopes: ['checkout'] }).propositions[0].experience.id);
  assert.deepEqual(after, before);
  assert.equal(service.decide('sbx_other', { visitorId: 'v0', scopes: ['checkout'] }).propositions.length, 0, 'another sandbox has no activities');
  db.close();
});

test('pausing an activity takes it off the hot path at once; editing an offer changes what is served', async () => {
  const { db, service, activity, input } = await setUp();
  assert.equal(service.decide(sandbox.id, { visitorId: 'v', scopes: ['checkout'] }).propositions.length, 1);
  await service.updateActivity(sandbox, activity.id, { ...input, status: 'paused' });
  assert.equal(service.decide(sandbox.id, { visitorId: 'v', scopes: ['checkout'] }).propositions.length, 0);
  await service.updateActivity(sandbox, activity.id, { ...input, status: 'live' });
  const offerId = input.experiences[0].offerIds[0];
  await service.updateOffer(sandbox, offerId, { name: 'a2', content: { type: 'html', html: 'A2' } });
  const served = Array.from({ length: 20 }, (_, i) => service.decide(sandbox.id, { visitorId: `w${i}`, scopes: ['checkout'] }).propositions[0]).find((p) => p.experience.id === 'A');
  assert.equal(served?.items[0].data.content, 'A2');
  // Members of the excluded audience do not enter.
  assert.equal(service.decide(sandbox.id, { visitorId: 'v', scopes: ['checkout'], memberships: { aud_known: 'realized' } }).propositions.length, 0);
  db.close();
});

test('a conversion after login is credited to the experience the anonymous visitor saw', async () => {
  const { db, service, activity } = await setUp();
  const decision = service.decide(sandbox.id, { visitorId: 'ecid-anon', scopes: ['checkout'] });
  const [p] = decision.propositions;
  assert.ok(service.recordImpression(sandbox.id, { eventToken: p.scopeDetails.characteristics.eventToken, visitorId: 'ecid-anon' }));
  assert.equal(service.recordImpression(sandbox.id, { eventToken: 'not-a-token', visitorId: 'x' }), false);
  // The purchase arrives with the person's id and the same device id; revenue read from the event.
  const credited = await service.recordConversion(sandbox.id, {
    visitorId: 'ecid-anon', profileId: 'person-1', kind: 'event', eventType: 'commerce.purchases', event: { commerce: { order: { priceTotal: 42.5 } } },
  });
  assert.deepEqual(credited, [activity.id]);
  assert.deepEqual(await service.recordConversion(sandbox.id, { visitorId: 'ecid-anon', kind: 'click', activityId: activity.id }), [], 'a click is not this metric');
  const report = await service.report(sandbox.id, activity.id);
  const row = report.experiences.find((e) => e.id === p.experience.id);
  assert.equal(row?.visitors, 1);
  assert.equal(row?.conversions, 1);
  assert.equal(row?.revenue, 42.5);
  await service.deleteActivity(sandbox.id, activity.id);
  assert.equal(service.decide(sandbox.id, { visitorId: 'ecid-anon', scopes: ['checkout'] }).propositions.length, 0);
  db.close();
});

test('recording a decision counts one impression per activity, under the person when known', async () => {
  const { db, service, activity } = await setUp();
  for (let i = 0; i < 30; i++) {
    const request = { visitorId: `device-${i}`, ...(i % 2 ? { profileId: `person-${i % 10}` } : {}), scopes: ['checkout', 'checkout'] };
    service.recordDecision(sandbox.id, request, service.decide(sandbox.id, request));
  }
  const report = await service.report(sandbox.id, activity.id);
  const visitors = report.experiences.reduce((sum, e) => sum + e.visitors, 0);
  const impressions = report.experiences.reduce((sum, e) => sum + e.impressions, 0);
  assert.equal(impressions, 30);
  assert.equal(visitors, 15 + 5, '15 anonymous devices and 5 people behind the other 15 devices');
  db.close();
});

test('activity validation names each field: referenced audiences must exist', async () => {
  const { db, service, input } = await setUp();
  await assert.rejects(
    service.createActivity(sandbox, { ...input, audience: { type: 'audience', audienceId: 'aud_unknown' }, holdoutPercent: 5, fallbackExperienceId: 'A' }),
    (error: Error & { code?: string; extras?: { errors?: { path: string }[] } }) => {
      assert.equal(error.code, 'ACTIVITY_INVALID');
      assert.deepEqual(error.extras?.errors?.map((e) => e.path), ['audience.audienceId', 'fallbackExperienceId']);
      return true;
    },
  );
  db.close();
});

test('impressions a failed flush could not write are kept and written by the next one', async () => {
  const db = openSqlite(':memory:');
  const store = new SqliteDecisioningStore(db);
  const service = new DecisioningService(store, options);
  const a = await service.createOffer(sandbox, { name: 'a', content: { type: 'html', html: 'A' } });
  const activity = await service.createActivity(sandbox, {
    name: 'flaky storage',
    type: 'ab',
    status: 'live',
    location: { scopes: ['home'] },
    experiences: [
      { id: 'A', name: 'A', offerIds: [a.id], control: true, traffic: 50 },
      { id: 'B', name: 'B', offerIds: [a.id], traffic: 50 },
    ],
    metric: { type: 'click' },
  });
  const tokenFor = (visitorId: string) => service.decide(sandbox.id, { visitorId, scopes: ['home'] }).propositions[0].scopeDetails.characteristics.eventToken;
  service.recordImpression(sandbox.id, { eventToken: tokenFor('v1'), visitorId: 'v1' });
  const write = store.recordImpressions.bind(store);
  store.recordImpressions = async () => {
    throw new Error('SQLITE_BUSY: database is locked');
  };
  await assert.rejects(service.flush(), /SQLITE_BUSY/);
  store.recordImpressions = write;
  service.recordImpression(sandbox.id, { eventToken: tokenFor('v2'), visitorId: 'v2' });
  const report = await service.report(sandbox.id, activity.id);
  const total = (k: 'visitors' | 'impressions') => report.experiences.reduce((n, e) => n + e[k], 0);
  assert.equal(total('visitors'), 2);
  assert.equal(total('impressions'), 2);
  db.close();
});

test('a batch of impressions is stored exactly as the same impressions written one by one', async () => {
  const DAY = 86_400_000;
  const t0 = Date.parse('2026-03-01T23:00:00Z');
  const earlier = [{ activityId: 'act-a', experienceId: 'A', visitorKey: 'v1', audiences: ['gold'], at: t0 - DAY }];
  // Repeats of one visitor (across midnight), an earlier visitor returning, two activities and
  // experiences, audiences that differ between a visitor's rows (the first row's are kept).
  const batch = [
    { activityId: 'act-a', experienceId: 'A', visitorKey: 'v1', audiences: ['gold', 'gold'], at: t0 },
    { activityId: 'act-a', experienceId: 'B', visitorKey: 'v2', audiences: ['new'], at: t0 + 1_000 },
    { activityId: 'act-a', experienceId: 'B', visitorKey: 'v2', audiences: ['other'], at: t0 + 2 * 3_600_000 },
    { activityId: 'act-a', experienceId: 'B', visitorKey: 'v2', audiences: [], at: t0 + 500 },
    { activityId: 'act-b', experienceId: 'A', visitorKey: 'v2', audiences: [], at: t0 + 5 },
    { activityId: 'act-a', experienceId: 'A', visitorKey: 'v3', audiences: ['x', 'y'], at: t0 + DAY },
    { activityId: 'act-a', experienceId: 'A', visitorKey: 'v1', audiences: ['gold'], at: t0 + 3 },
  ];
  const stores = [openSqlite(':memory:'), openSqlite(':memory:')].map((db) => ({ db, store: new SqliteDecisioningStore(db) }));
  const [oneByOne, together] = stores;
  for (const { store } of stores) await store.recordImpressions('sbx', earlier);
  for (const row of batch) await oneByOne.store.recordImpressions('sbx', [row]);
  await together.store.recordImpressions('sbx', batch);
  const state = async ({ db, store }: (typeof stores)[number]) => ({
    visitors: db.prepare('SELECT * FROM decisioning_visitors ORDER BY activity_id, visitor_key, experience_id').all(),
    totals: await Promise.all(['act-a', 'act-b'].map((id) => store.experienceTotals('sbx', id))),
    audiences: await Promise.all(['act-a', 'act-b'].map((id) => store.audienceTotals('sbx', id))),
    daily: await Promise.all(['act-a', 'act-b'].map((id) => store.dailyTotals('sbx', id))),
  });
  const expected = await state(oneByOne);
  assert.deepEqual(await state(together), expected);
  // And the figures are the intended ones, not two equal mistakes.
  const v2 = (expected.visitors as { activity_id: string; visitor_key: string; experience_id: string; impressions: number; first_seen: number; last_seen: number; audiences: string }[])
    .find((v) => v.activity_id === 'act-a' && v.visitor_key === 'v2' && v.experience_id === 'B')!;
  assert.deepEqual([v2.impressions, v2.first_seen, v2.last_seen, v2.audiences], [3, t0 + 1_000, t0 + 2 * 3_600_000, '["new"]']);
  const dailyA = expected.daily[0] as { day: string; experienceId: string; visitors: number; impressions: number }[];
  assert.deepEqual(
    dailyA.map((d) => [d.day, d.experienceId, d.visitors, d.impressions]),
    [
      ['2026-02-28', 'A', 1, 1],
      ['2026-03-01', 'A', 0, 2],
      ['2026-03-01', 'B', 1, 2],
      ['2026-03-02', 'A', 1, 1],
      ['2026-03-02', 'B', 0, 1],
    ],
  );
});
