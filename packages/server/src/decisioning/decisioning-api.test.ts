import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../testing/harness.ts';

// One server for the file (starting one costs seconds); each test uses its own scope names.
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

const htmlOffer = (name: string) => ({ name, content: { type: 'html', html: `<h1>${name}</h1>` } });

async function createOffers(server: TestServer, names: string[], sandbox?: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const res = await server.api('POST', '/api/v1/offers', htmlOffer(name), sandbox ? { sandbox } : {});
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.id);
  }
  return ids;
}

function abTest(offers: string[], overrides: Record<string, unknown> = {}) {
  return {
    name: 'Hero test',
    type: 'ab',
    status: 'live',
    location: { scopes: ['hero'] },
    experiences: [
      { id: 'A', name: 'Control', offerIds: [offers[0]], control: true, traffic: 50 },
      { id: 'B', name: 'New hero', offerIds: [offers[1]], traffic: 50 },
    ],
    metric: { type: 'event', eventType: 'commerce.purchases', revenueField: 'commerce.order.priceTotal' },
    ...overrides,
  };
}

test('activities and offers are validated with every problem named by its field', async () => {
  const offers = await createOffers(server, ['control', 'variant']);
  const badOffer = await server.api('POST', '/api/v1/offers', {
    name: 'broken',
    content: { type: 'dom-actions', actions: [{ type: 'setAttribute', selector: 'a.buy', content: 'x' }, { type: 'redirect', selector: 'body', content: 'not a url' }] },
  });
  assertProblem(badOffer, 422, 'OFFER_INVALID');
  assert.deepEqual(badOffer.body.errors.map((e: { path: string }) => e.path), ['content.actions[0].name', 'content.actions[1].content']);

  const bad = await server.api('POST', '/api/v1/activities', abTest(offers, {
    experiences: [
      { id: 'A', name: 'Control', offerIds: [offers[0]], traffic: 60 },
      { id: 'B', name: 'B', offerIds: ['off_missing'], traffic: 50 },
    ],
    location: { urls: [{ operator: 'regex', value: '(unclosed' }] },
    audience: { type: 'all', conditions: [{ type: 'audience', audienceId: 'aud_nope' }, { type: 'timeOfDay', from: '09:00', to: '17:00', timezone: 'Mars/Olympus' }] },
  }));
  assertProblem(bad, 422, 'ACTIVITY_INVALID');
  const paths = bad.body.errors.map((e: { path: string }) => e.path);
  for (const path of ['location.urls[0].value', 'audience.conditions[0].audienceId', 'audience.conditions[1].timezone', 'experiences[1].offerIds[0]', 'experiences']) {
    assert.ok(paths.includes(path), `${path} is named in ${JSON.stringify(paths)}`);
  }
  assert.match(bad.body.detail, /exactly one control/);
  assert.match(bad.body.detail, /add up to 100, it adds up to 110/);

  const xt = await server.api('POST', '/api/v1/activities', {
    name: 'xt', type: 'xt', location: { scopes: ['hero'] }, metric: { type: 'click' },
    experiences: [{ id: 'a', name: 'a', offerIds: [offers[0]] }, { id: 'b', name: 'b', offerIds: [offers[1]], traffic: 10 }],
    fallbackExperienceId: 'zzz',
  });
  assertProblem(xt, 422, 'ACTIVITY_INVALID');
  assert.deepEqual(xt.body.errors.map((e: { path: string }) => e.path).sort(), ['experiences[0].audience', 'experiences[1].audience', 'experiences[1].traffic', 'fallbackExperienceId'].sort());

  const schema = await server.api('POST', '/api/v1/activities', { ...abTest(offers), type: 'mvt' });
  assertProblem(schema, 400, 'VALIDATION_FAILED');
  assert.ok(schema.body.errors.some((e: { path: string }) => e.path === 'body.type'));
  const badCondition = await server.api('POST', '/api/v1/activities', abTest(offers, { audience: { type: 'not', condition: { type: 'weather' } } }));
  assertProblem(badCondition, 400, 'VALIDATION_FAILED');

  const created = await server.api('POST', '/api/v1/activities', abTest(offers));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, 'live');
  assert.equal(created.body.holdoutPercent, 0);
  assertProblem(await server.api('DELETE', `/api/v1/offers/${offers[0]}`), 409, 'OFFER_IN_USE');
  const paused = await server.api('PUT', `/api/v1/activities/${created.body.id}`, abTest(offers, { status: 'paused' }));
  assert.equal(paused.body.status, 'paused');
  assert.equal((await server.api('GET', '/api/v1/activities?status=paused')).body.items.length, 1);
  assert.equal((await server.api('DELETE', `/api/v1/activities/${created.body.id}`)).status, 204);
  assertProblem(await server.api('GET', `/api/v1/activities/${created.body.id}`), 404, 'ACTIVITY_NOT_FOUND');
  assert.equal((await server.api('DELETE', `/api/v1/offers/${offers[0]}`)).status, 204);
  // The recursive condition schema is one shared component of the OpenAPI description.
  const spec = await server.api('GET', '/openapi.json');
  assert.equal(spec.status, 200);
  assert.ok(spec.body.paths['/api/v1/activities/{id}/report'], 'report documented');
  assert.match(JSON.stringify(spec.body.paths['/api/v1/activities'].post.requestBody), /\$ref/);
});

test('decisions from the live snapshot feed impressions and conversions into the report, as JSON and CSV', async () => {
  const { decisioning } = server.running.platform;
  const offers = await createOffers(server, ['control', 'variant']);
  const activity = (await server.api('POST', '/api/v1/activities', abTest(offers, { location: { scopes: ['report-hero'] } }))).body;
  const prod = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod');
  // Decide for 400 visitors through the service (the edge's path), recording an impression for each.
  const seen: Record<string, string[]> = { A: [], B: [] };
  for (let i = 0; i < 400; i++) {
    const result = decisioning.decide(prod.id, { visitorId: `ecid-${i}`, scopes: ['report-hero'] });
    assert.equal(result.propositions.length, 1);
    const p = result.propositions[0];
    assert.equal(p.items[0].schema, 'https://ns.adobe.com/personalization/html-content-item');
    seen[p.experience.id].push(`ecid-${i}`);
    assert.ok(decisioning.recordImpression(prod.id, { eventToken: p.scopeDetails.characteristics.eventToken, visitorId: `ecid-${i}` }));
  }
  // Server-side events: 5% of control visitors buy, 15% of the variant's, with revenue. (The split
  // follows a hash seeded by the activity's id, so it differs from run to run: rates, not counts.)
  const boughtA = Math.round(seen.A.length * 0.05);
  const boughtB = Math.round(seen.B.length * 0.15);
  const events = [
    ...seen.A.slice(0, boughtA).map((v) => ({ type: 'conversion', visitorId: v, eventType: 'commerce.purchases', revenue: 20 })),
    ...seen.B.slice(0, boughtB).map((v, i) => ({ type: 'conversion', visitorId: v, eventType: 'commerce.purchases', revenue: 20 + (i % 5) })),
    { type: 'conversion', visitorId: 'never-seen', eventType: 'commerce.purchases', revenue: 99 },
    { type: 'conversion', visitorId: seen.B[0], eventType: 'web.webpagedetails.pageViews' },
  ];
  const posted = await server.api('POST', `/api/v1/activities/${activity.id}/events`, { events });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  assert.deepEqual(posted.body, { impressions: 0, conversions: boughtA + boughtB, ignored: 2 });
  // A conversion found through the event's revenue field, not naming the activity (the edge's path).
  const credited = await decisioning.recordConversion(prod.id, { visitorId: seen.B[1], kind: 'event', eventType: 'commerce.purchases', event: { commerce: { order: { priceTotal: 100 } } } });
  assert.deepEqual(credited, [activity.id]);

  const report = await server.api('GET', `/api/v1/activities/${activity.id}/report`);
  assert.equal(report.status, 200, JSON.stringify(report.body));
  const [control, variant] = report.body.experiences;
  assert.equal(control.visitors + variant.visitors, 400);
  assert.equal(control.convertedVisitors, boughtA);
  assert.equal(variant.conversions, boughtB + 1);
  assert.equal(variant.convertedVisitors, boughtB, 'a second purchase counts as a conversion, not a new converter');
  assert.equal(variant.revenue, Array.from({ length: boughtB }, (_, i) => 20 + (i % 5)).reduce((a, b) => a + b, 0) + 100);
  assert.equal(control.conversionRate, boughtA / control.visitors);
  assert.equal(control.lift, null);
  assert.ok(variant.lift.value > 1 && variant.lift.lower < variant.lift.value && variant.lift.upper > variant.lift.value);
  assert.ok(variant.pValue < 0.01, `p = ${variant.pValue}`);
  assert.ok(variant.chanceToBeatControl > 0.99);
  assert.equal(typeof variant.revenueTest.pValue, 'number');
  assert.equal(report.body.sampleRatio.mismatch, false);
  assert.equal(report.body.daily.length, 2);

  const csv = await server.api('GET', `/api/v1/activities/${activity.id}/report?format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = (csv.body as string).trim().split('\n');
  assert.equal(lines[0].split(',')[0], 'audience');
  assert.equal(lines.length, 3);
  assert.equal(lines[2].split(',')[1], 'B');
  assert.equal(Number(lines[2].split(',')[7]), boughtB);
});

test('an impossible split is reported as a sample ratio mismatch; audiences break the report down', async () => {
  const offers = await createOffers(server, ['a', 'b']);
  const activity = (await server.api('POST', '/api/v1/activities', abTest(offers, { location: { scopes: ['srm-hero'] } }))).body;
  const impressions = [
    ...Array.from({ length: 700 }, (_, i) => ({ type: 'impression', experienceId: 'A', visitorId: `a-${i}`, audiences: i % 2 ? ['aud_gold'] : [] })),
    ...Array.from({ length: 300 }, (_, i) => ({ type: 'impression', experienceId: 'B', visitorId: `b-${i}`, audiences: i % 3 ? [] : ['aud_gold'] })),
  ];
  assert.deepEqual((await server.api('POST', `/api/v1/activities/${activity.id}/events`, { events: impressions })).body, { impressions: 1000, conversions: 0, ignored: 0 });
  const bad = await server.api('POST', `/api/v1/activities/${activity.id}/events`, { events: [{ type: 'impression', visitorId: 'x', experienceId: 'Z' }] });
  assertProblem(bad, 422, 'DECISION_EVENT_INVALID');
  assert.equal(bad.body.errors[0].path, 'events[0].experienceId');
  const report = (await server.api('GET', `/api/v1/activities/${activity.id}/report`)).body;
  assert.equal(report.sampleRatio.mismatch, true);
  assert.match(report.warnings[0], /sample ratio mismatch/);
  assert.equal(report.byAudience.length, 1);
  assert.equal(report.byAudience[0].audienceId, 'aud_gold');
  assert.deepEqual(report.byAudience[0].experiences.map((e: { visitors: number }) => e.visitors), [350, 100]);
});

test('auto-allocate traffic is recomputed on demand and served from the new snapshot', async () => {
  const { decisioning } = server.running.platform;
  const prod = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod');
  const offers = await createOffers(server, ['a', 'b']);
  const activity = (await server.api('POST', '/api/v1/activities', {
    name: 'bandit', type: 'auto-allocate', status: 'live', location: { scopes: ['bandit-hero'] }, metric: { type: 'click' },
    autoAllocate: { explorationShare: 0.2, warmupVisitors: 50 },
    experiences: [{ id: 'A', name: 'A', offerIds: [offers[0]] }, { id: 'B', name: 'B', offerIds: [offers[1]] }],
  })).body;
  const events = [
    ...Array.from({ length: 200 }, (_, i) => ({ type: 'impression', experienceId: i % 2 ? 'B' : 'A', visitorId: `v-${i}` })),
    ...Array.from({ length: 200 }, (_, i) => i).filter((i) => (i % 2 ? i % 5 !== 0 : i % 20 === 0)).map((i) => ({ type: 'click', visitorId: `v-${i}` })),
  ];
  await server.api('POST', `/api/v1/activities/${activity.id}/events`, { events });
  const allocation = await server.api('POST', `/api/v1/activities/${activity.id}/reallocate`);
  assert.equal(allocation.status, 200, JSON.stringify(allocation.body));
  assert.equal(allocation.body.epoch, 1);
  assert.equal(allocation.body.warmup, false);
  assert.ok(allocation.body.shares.B > 0.85 && allocation.body.shares.A >= 0.1, JSON.stringify(allocation.body.shares));
  let b = 0;
  for (let i = 0; i < 2000; i++) if (decisioning.decide(prod.id, { visitorId: `new-${i}`, scopes: ['bandit-hero'] }).propositions[0].experience.id === 'B') b++;
  assert.ok(Math.abs(b / 2000 - allocation.body.shares.B) < 0.04, `B served ${b / 2000} against a share of ${allocation.body.shares.B}`);
  const report = (await server.api('GET', `/api/v1/activities/${activity.id}/report`)).body;
  assert.equal(report.allocation.epoch, 1);
  assert.equal(report.sampleRatio, null, 'no fixed split to check against');
});

test('sandboxes never see each other’s offers, activities, decisions or reports', async () => {
  const { decisioning } = server.running.platform;
  assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
  const sandboxes = (await server.api('GET', '/api/v1/sandboxes')).body.items as { id: string; name: string }[];
  const prod = sandboxes.find((s) => s.name === 'prod');
  const dev = sandboxes.find((s) => s.name === 'dev');
  assert.ok(prod && dev);
  const offers = await createOffers(server, ['a', 'b']);
  const activity = (await server.api('POST', '/api/v1/activities', abTest(offers, { location: { scopes: ['isolated-hero'] } }))).body;

  assert.deepEqual((await server.api('GET', '/api/v1/activities', undefined, { sandbox: 'dev' })).body.items, []);
  assert.deepEqual((await server.api('GET', '/api/v1/offers', undefined, { sandbox: 'dev' })).body.items, []);
  assertProblem(await server.api('GET', `/api/v1/activities/${activity.id}`, undefined, { sandbox: 'dev' }), 404, 'ACTIVITY_NOT_FOUND');
  assertProblem(await server.api('GET', `/api/v1/activities/${activity.id}/report`, undefined, { sandbox: 'dev' }), 404, 'ACTIVITY_NOT_FOUND');
  assertProblem(await server.api('POST', `/api/v1/activities/${activity.id}/events`, { events: [{ type: 'impression', visitorId: 'v', experienceId: 'A' }] }, { sandbox: 'dev' }), 404, 'ACTIVITY_NOT_FOUND');
  const devOffer = await server.api('POST', '/api/v1/activities', abTest(offers), { sandbox: 'dev' });
  assertProblem(devOffer, 422, 'ACTIVITY_INVALID');
  assert.match(devOffer.body.detail, /no offer/);
  assert.equal(decisioning.decide(dev.id, { visitorId: 'v', scopes: ['isolated-hero'] }).propositions.length, 0);
  assert.equal(decisioning.decide(prod.id, { visitorId: 'v', scopes: ['isolated-hero'] }).propositions.length, 1);

  // Deleting the dev sandbox leaves prod's activity serving.
  assert.equal((await server.api('DELETE', '/api/v1/sandboxes/dev')).status, 204);
  assert.equal(decisioning.decide(prod.id, { visitorId: 'v', scopes: ['isolated-hero'] }).propositions.length, 1);
});
