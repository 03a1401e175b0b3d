import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { identityKey } from '../../identity/graph.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const DAY = 86_400_000;
const ECID = '05907638112924484241029082405297151763';

// One server for the file (starting one is most of the cost); each test leaves prod as it found it.
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

test('computed attribute definitions: create, read, patch and delete; bad definitions name the field and the position', async () => {
  const spend = await server.api('POST', '/api/v1/computed-attributes', {
    name: 'spend30d',
    description: 'what the person spent in the last 30 days',
    expression: pql('xEvent[eventType="commerce.purchases"].sum(commerce.order.priceTotal)'),
    duration: { count: 30, unit: 'DAYS' },
  });
  assert.equal(spend.status, 201, JSON.stringify(spend.body));
  assert.equal(spend.body.path, 'computedAttributes.spend30d');
  assert.deepEqual(spend.body.mergeFunction, { value: 'SUM' }, 'inferred from .sum()');
  assert.equal(spend.body.expression.value, 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)', 'stored as canonical PQL');
  assert.equal(spend.body.displayName, 'spend30d');

  const top = await server.api('POST', '/api/v1/computed-attributes', {
    name: 'favouriteCategories',
    expression: pql('xEvent.productListItems.productCategories.categoryName'),
    mergeFunction: { value: 'TOP_N', n: 3 },
    duration: { count: 4, unit: 'WEEKS' },
  });
  assert.equal(top.status, 201, JSON.stringify(top.body));
  assert.deepEqual(top.body.mergeFunction, { value: 'TOP_N', n: 3 });

  const list = await server.api('GET', '/api/v1/computed-attributes');
  assert.deepEqual(list.body.items.map((a: { name: string }) => a.name), ['favouriteCategories', 'spend30d']);
  assert.equal((await server.api('GET', `/api/v1/computed-attributes/${spend.body.id}`)).body.name, 'spend30d');

  const patched = await server.api('PATCH', `/api/v1/computed-attributes/${spend.body.id}`, { duration: { count: 7, unit: 'DAYS' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.deepEqual(patched.body.duration, { count: 7, unit: 'DAYS' });
  assert.equal(patched.body.expression.value, spend.body.expression.value);
  assert.ok(patched.body.updateTime > spend.body.updateTime);

  // While editing: the same checks, as a report instead of an error.
  const check = await server.api('POST', '/api/v1/computed-attributes/validate', { expression: pql('xEvent[eventType = "commerce.purchases"].average(commerce.order.priceTotal)'), duration: { count: 7, unit: 'DAYS' } });
  assert.deepEqual(check.body, { valid: true, errors: [], expression: 'xEvent[eventType = "commerce.purchases"].average(commerce.order.priceTotal)', mergeFunction: { value: 'AVERAGE' }, eventTypes: ['commerce.purchases'] });
  const unchecked = await server.api('POST', '/api/v1/computed-attributes/validate', { expression: pql('xEvent.count() +'), duration: { count: 7, unit: 'DAYS' } });
  assert.equal(unchecked.body.valid, false);
  assert.equal(unchecked.body.errors[0].column, 17, 'the end of the text');

  // Bad input: the API schema (400), the PQL text (422 with line/column), the shape (422), names (409).
  assertProblem(await server.api('POST', '/api/v1/computed-attributes', { name: '30days', expression: pql('xEvent.count()'), duration: { count: 1, unit: 'DAYS' } }), 400, 'VALIDATION_FAILED');
  assertProblem(await server.api('POST', '/api/v1/computed-attributes', { name: 'x', expression: pql('xEvent.count()'), duration: { count: 1, unit: 'YEARS' } }), 400, 'VALIDATION_FAILED');
  const syntax = await server.api('POST', '/api/v1/computed-attributes', { name: 'broken', expression: pql('xEvent[eventType = ].count()'), duration: { count: 1, unit: 'DAYS' } });
  assertProblem(syntax, 422, 'PQL_INVALID');
  assert.equal(syntax.body.errors[0].path, 'expression.value');
  assert.equal(syntax.body.errors[0].line, 1);
  assert.equal(syntax.body.errors[0].column, 20);
  const shape = await server.api('POST', '/api/v1/computed-attributes', { name: 'points', expression: pql('loyalty.points + 1'), duration: { count: 1, unit: 'DAYS' } });
  assertProblem(shape, 422, 'COMPUTED_ATTRIBUTE_INVALID');
  assert.equal(shape.body.errors[0].column, 1);
  const clock = await server.api('POST', '/api/v1/computed-attributes', { name: 'recent', expression: pql('xEvent[timestamp occurs < 2 days before now].count()'), duration: { count: 1, unit: 'DAYS' } });
  assertProblem(clock, 422, 'COMPUTED_ATTRIBUTE_INVALID');
  const fn = await server.api('POST', '/api/v1/computed-attributes', { name: 'lastPage', expression: pql('xEvent.web.webPageDetails.name'), duration: { count: 1, unit: 'DAYS' } });
  assertProblem(fn, 422, 'COMPUTED_ATTRIBUTE_INVALID');
  assert.equal(fn.body.errors[0].path, 'mergeFunction.value');
  assertProblem(await server.api('POST', '/api/v1/computed-attributes', { name: 'spend30d', expression: pql('xEvent.count()'), duration: { count: 1, unit: 'DAYS' } }), 409, 'NAME_TAKEN');
  assertProblem(await server.api('PATCH', `/api/v1/computed-attributes/${spend.body.id}`, { name: 'renamed' }), 400, 'VALIDATION_FAILED');
  assertProblem(await server.api('PATCH', `/api/v1/computed-attributes/${spend.body.id}`, { expression: pql('xEvent.sum(') }), 422, 'PQL_INVALID');
  assertProblem(await server.api('GET', '/api/v1/computed-attributes/ca_missing'), 404, 'COMPUTED_ATTRIBUTE_NOT_FOUND');

  // An attribute an audience reads cannot be deleted from under it.
  const audience = await server.api('POST', '/api/v1/audiences', { name: 'big spenders', expression: pql('computedAttributes.spend30d > 100') });
  assert.equal(audience.status, 201, JSON.stringify(audience.body));
  assertProblem(await server.api('DELETE', `/api/v1/computed-attributes/${spend.body.id}`), 409, 'COMPUTED_ATTRIBUTE_IN_USE');
  assert.equal((await server.api('DELETE', `/api/v1/audiences/${audience.body.id}`)).status, 204);
  assert.equal((await server.api('DELETE', `/api/v1/computed-attributes/${spend.body.id}`)).status, 204);
  assertProblem(await server.api('GET', `/api/v1/computed-attributes/${spend.body.id}`), 404, 'COMPUTED_ATTRIBUTE_NOT_FOUND');
  assert.equal((await server.api('DELETE', `/api/v1/computed-attributes/${top.body.id}`)).status, 204);
  assert.deepEqual((await server.api('GET', '/api/v1/computed-attributes')).body.items, []);

  const openapi = await server.api('GET', '/openapi.json', undefined, { key: null });
  assert.deepEqual(Object.keys(openapi.body.paths['/api/v1/computed-attributes/{id}']).sort(), ['delete', 'get', 'patch']);
});

test('values follow streamed events into the profile, PQL audiences and the edge projection, and stay in their sandbox', async () => {
  const define = (body: object, sandbox?: string) => server.api('POST', '/api/v1/computed-attributes', body, sandbox ? { sandbox } : {});
  assert.equal((await define({ name: 'spend30d', expression: pql('xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'), duration: { count: 30, unit: 'DAYS' } })).status, 201);
  assert.equal((await define({ name: 'purchases30d', expression: pql('xEvent[eventType = "commerce.purchases"].count()'), duration: { count: 30, unit: 'DAYS' } })).status, 201);
  assert.equal((await define({ name: 'biggestOrder', expression: pql('xEvent.max(commerce.order.priceTotal)'), duration: { count: 30, unit: 'DAYS' } })).status, 201);
  assert.equal((await define({ name: 'lastPage', expression: pql('xEvent[eventType = "web.webpagedetails.pageViews"].web.webPageDetails.name'), mergeFunction: { value: 'MOST_RECENT' }, duration: { count: 30, unit: 'DAYS' } })).status, 201);
  assert.equal((await define({ name: 'favouriteCategory', expression: pql('xEvent.productListItems.productCategories.categoryName'), mergeFunction: { value: 'TOP_N', n: 1 }, duration: { count: 30, unit: 'DAYS' } })).status, 201);
  const bigSpenders = await server.api('POST', '/api/v1/audiences', { name: 'big spenders', expression: pql('computedAttributes.spend30d > 100 and computedAttributes.favouriteCategory.head() = "shoes"') });
  assert.equal(bigSpenders.status, 201, JSON.stringify(bigSpenders.body));
  assert.equal(bigSpenders.body.evaluationInfo.continuous.enabled, true, 'a profile-only expression is kept current by streaming');
  const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });

  const ids = { ECID: [{ id: ECID }] };
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  const purchase = (id: string, daysAgo: number, total: number, category: string) => ({
    _id: id, timestamp: at(daysAgo), eventType: 'commerce.purchases', identityMap: ids,
    commerce: { order: { priceTotal: total } }, productListItems: [{ SKU: id, productCategories: [{ categoryName: category }] }],
  });
  const view = (id: string, daysAgo: number, name: string) => ({ _id: id, timestamp: at(daysAgo), eventType: 'web.webpagedetails.pageViews', identityMap: ids, web: { webPageDetails: { name } } });

  const first = await server.api('POST', `/api/v1/ingest/${web.body.id}`, [purchase('p-old', 45, 900, 'hats'), purchase('p1', 3, 60, 'shoes'), view('v1', 2, 'home'), view('v2', 1, 'checkout')]);
  assert.ok(first.status < 300, JSON.stringify(first.body));
  let profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  assert.deepEqual(profile.body.computedAttributes, { spend30d: 60, purchases30d: 1, biggestOrder: 60, lastPage: 'checkout', favouriteCategory: ['shoes'] }, 'the 45-day-old purchase is outside every window');
  assert.equal(profile.body.attributes.computedAttributes.spend30d, 60, 'the same values where PQL reads them');
  assert.equal(profile.body.segmentMembership.ups[bigSpenders.body.id], undefined);

  // One more purchase streams in: the values move incrementally, and the audience that reads them qualifies in the same pass.
  await server.api('POST', `/api/v1/ingest/${web.body.id}`, purchase('p2', 0.5, 45.5, 'shoes'));
  profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
  assert.equal(profile.body.computedAttributes.spend30d, 105.5);
  assert.equal(profile.body.computedAttributes.purchases30d, 2);
  assert.equal(profile.body.segmentMembership.ups[bigSpenders.body.id]?.status, 'realized');
  const members = await server.api('GET', `/api/v1/audiences/${bigSpenders.body.id}/members`);
  assert.deepEqual(members.body.items.map((m: { profileId: string }) => m.profileId), [profile.body.profileId]);

  const { platform } = server.running;
  const prod = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod');
  const edge = await platform.edgeProjection.get(prod.id, identityKey('ECID', ECID));
  assert.equal(edge?.computedAttributes.spend30d, 105.5, 'the edge projection carries computed values for personalization');
  await server.api('POST', `/api/v1/ingest/${web.body.id}`, purchase('p3', 0.1, 10, 'socks'));
  await platform.settleProfiles();
  assert.equal((await platform.edgeProjection.get(prod.id, identityKey('ECID', ECID)))?.computedAttributes.spend30d, 115.5, 'a held edge view follows new events');

  // Another sandbox sees neither the definitions nor the values.
  assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
  assert.deepEqual((await server.api('GET', '/api/v1/computed-attributes', undefined, { sandbox: 'dev' })).body.items, []);
  const devWeb = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true }, { sandbox: 'dev' });
  assert.equal((await define({ name: 'purchases30d', expression: pql('xEvent.count()'), duration: { count: 1, unit: 'DAYS' } }, 'dev')).status, 201, 'the same name is free in another sandbox');
  await server.api('POST', `/api/v1/ingest/${devWeb.body.id}`, view('dv1', 0.1, 'home'), { sandbox: 'dev' });
  const devProfile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`, undefined, { sandbox: 'dev' });
  assert.deepEqual(devProfile.body.computedAttributes, { purchases30d: 1 }, "dev counts its own single event under its own definition");
  profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
  assert.equal(profile.body.computedAttributes.purchases30d, 3, 'prod is untouched by dev');
});

test('when two people merge, their values are recomputed over the joined timeline and nothing is left on the vanished profile', async () => {
  const opts = { sandbox: 'merge' };
  assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'merge' })).status, 201);
  const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true }, opts);
  const count = await server.api('POST', '/api/v1/computed-attributes', { name: 'purchases30d', expression: pql('xEvent[eventType = "commerce.purchases"].count()'), duration: { count: 30, unit: 'DAYS' } }, opts);
  assert.equal(count.status, 201, JSON.stringify(count.body));
  const device = '12345678901234567890123456789012345678';
  const event = (id: string, identityMap: object, eventType = 'commerce.purchases') => ({ _id: id, timestamp: new Date(Date.now() - DAY).toISOString(), eventType, identityMap });
  await server.api('POST', `/api/v1/ingest/${web.body.id}`, [event('d1', { ECID: [{ id: device }] }), event('d2', { ECID: [{ id: device }] }), event('e1', { Email: [{ id: 'bo@example.com' }] })], opts);
  const read = (identity: string) => server.api('GET', `/api/v1/profiles?identity=${identity}`, undefined, opts);
  assert.equal((await read(`ECID:${device}`)).body.computedAttributes.purchases30d, 2);
  assert.equal((await read('Email:bo@example.com')).body.computedAttributes.purchases30d, 1);

  // A login carries both identities: one person now, with every purchase.
  await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('login', { ECID: [{ id: device }], Email: [{ id: 'bo@example.com' }] }, 'web.webpagedetails.pageViews'), opts);
  const merged = await read('Email:bo@example.com');
  assert.equal(merged.body.computedAttributes.purchases30d, 3);
  assert.equal((await read(`ECID:${device}`)).body.profileId, merged.body.profileId);
  const merge = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'merge');
  const rows = server.running.platform.db.prepare('SELECT DISTINCT profile_id FROM computed_attribute_values WHERE sandbox_id = ?').pluck().all(merge.id);
  assert.deepEqual(rows, [merged.body.profileId]);
});

test('a batch audience job (the SQL engine) reads computed attributes at the same path', async () => {
  const opts = { sandbox: 'merge' };
  const person = await server.api('GET', '/api/v1/profiles?identity=Email:bo@example.com', undefined, opts);
  const batchOnly = { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } };
  const loyal = await server.api('POST', '/api/v1/audiences', { name: 'three purchases', expression: pql('computedAttributes.purchases30d >= 3'), evaluationInfo: batchOnly }, opts);
  assert.equal(loyal.status, 201, JSON.stringify(loyal.body));
  assert.equal(loyal.body.classification.method, 'batch');
  const job = await server.api('POST', '/api/v1/audiences/jobs', undefined, opts);
  assert.equal(job.status, 202, JSON.stringify(job.body));
  for (let i = 0; i < 400; i++) {
    const res = await server.api('GET', `/api/v1/audiences/jobs/${job.body.id}`, undefined, opts);
    if (res.body.status === 'succeeded' || res.body.status === 'failed') {
      assert.equal(res.body.status, 'succeeded', res.body.error);
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const members = await server.api('GET', `/api/v1/audiences/${loyal.body.id}/members`, undefined, opts);
  assert.deepEqual(members.body.items.map((m: { profileId: string }) => m.profileId), [person.body.profileId]);
});
