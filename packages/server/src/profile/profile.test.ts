import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing/harness.ts';

const ECID = '05907638112924484241029082405297151763';
const TABLET = '11111111111111111111111111111111111111';

async function setup(server: TestServer) {
  const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
  const loyalty = await server.api('POST', '/api/v1/datasets', { name: 'loyalty', schemaId: 'profile', profileEnabled: true });
  const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
  assert.equal(crm.status, 201);
  return { crm: crm.body.id as string, loyalty: loyalty.body.id as string, web: web.body.id as string };
}

test('a CRM record and web events sharing an email are one person, found by any of its identities', async () => {
  const server = await startTestServer();
  try {
    const ds = await setup(server);
    await server.api('POST', `/api/v1/ingest/${ds.crm}`, {
      _id: 'crm-1',
      timestamp: '2026-11-01T00:00:00Z',
      crm: { crmId: 'C-1' },
      personalEmail: { address: 'Ann@Example.COM' },
      person: { name: { firstName: 'Ann' } },
      loyalty: { tier: 'silver', points: 10 },
    });
    const events = await server.api('POST', `/api/v1/ingest/${ds.web}`, [
      { _id: 'v1', timestamp: '2026-11-02T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { ECID: [{ id: ECID }] }, web: { webPageDetails: { name: 'shoes' } } },
      { _id: 'v2', timestamp: '2026-11-02T10:05:00Z', eventType: 'userLogin', identityMap: { ECID: [{ id: ECID }], Email: [{ id: 'ann@example.com', authenticatedState: 'authenticated' }] } },
      { _id: 'v3', timestamp: '2026-11-02T10:06:00Z', eventType: 'commerce.purchases', identityMap: { ECID: [{ id: ECID }] }, commerce: { order: { priceTotal: 99 } } },
    ]);
    assert.equal(events.status, 200, JSON.stringify(events.body));

    const byDevice = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
    assert.equal(byDevice.status, 200, JSON.stringify(byDevice.body));
    const byEmail = await server.api('GET', `/api/v1/profiles?identity=${encodeURIComponent('Email:ANN@example.com')}`);
    const byCrm = await server.api('GET', '/api/v1/profiles?identity=CRMID:C-1');
    assert.equal(byDevice.body.profileId, byEmail.body.profileId);
    assert.equal(byDevice.body.profileId, byCrm.body.profileId);
    assert.deepEqual(
      byDevice.body.identities.map((i: { namespace: string; id: string }) => `${i.namespace}:${i.id}`).sort(),
      ['CRMID:C-1', `ECID:${ECID}`, 'Email:ann@example.com'],
    );
    assert.equal(byDevice.body.attributes.person.name.firstName, 'Ann');
    assert.equal(byDevice.body.attributes.loyalty.tier, 'silver');

    const timeline = await server.api('GET', '/api/v1/profiles/events?identity=CRMID:C-1');
    assert.deepEqual(timeline.body.items.map((e: { _id: string }) => e._id), ['v3', 'v2', 'v1'], 'newest first, including anonymous events of the device');
    const purchases = await server.api('GET', '/api/v1/profiles/events?identity=CRMID:C-1&eventType=commerce.purchases');
    assert.deepEqual(purchases.body.items.map((e: { _id: string }) => e._id), ['v3']);
    const paged = await server.api('GET', '/api/v1/profiles/events?identity=CRMID:C-1&limit=2');
    assert.equal(paged.body.items.length, 2);
    const rest = await server.api('GET', `/api/v1/profiles/events?identity=CRMID:C-1&limit=2&cursor=${paged.body.next}`);
    assert.deepEqual(rest.body.items.map((e: { _id: string }) => e._id), ['v1']);

    const graph = await server.api('GET', `/api/v1/identity/graph?identity=ECID:${ECID}`);
    assert.equal(graph.body.nodes.length, 3);
    assert.ok(graph.body.edges.every((e: { datasetId: string }) => [ds.crm, ds.web].includes(e.datasetId)), 'each link says which dataset made it');
  } finally {
    await server.stop();
  }
});

test('merge policies: the newest fragment wins by timestamp; dataset precedence overrides it', async () => {
  const server = await startTestServer();
  try {
    const ds = await setup(server);
    await server.api('POST', `/api/v1/ingest/${ds.crm}`, { timestamp: '2026-11-05T00:00:00Z', crm: { crmId: 'C-2' }, loyalty: { tier: 'gold', points: 500 } });
    await server.api('POST', `/api/v1/ingest/${ds.loyalty}`, { timestamp: '2026-11-01T00:00:00Z', crm: { crmId: 'C-2' }, loyalty: { tier: 'bronze', program: 'runners' } });
    const byTime = await server.api('GET', '/api/v1/profiles?identity=CRMID:C-2');
    assert.deepEqual(byTime.body.attributes.loyalty, { tier: 'gold', points: 500, program: 'runners' }, 'per attribute, the most recent fragment that has it');

    const policy = await server.api('POST', '/api/v1/merge-policies', {
      name: 'loyalty first',
      identityGraph: { type: 'pdg' },
      attributeMerge: { type: 'dataSetPrecedence', order: [ds.loyalty, ds.crm] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const byPrecedence = await server.api('GET', `/api/v1/profiles?identity=CRMID:C-2&mergePolicyId=${policy.body.id}`);
    assert.deepEqual(byPrecedence.body.attributes.loyalty, { tier: 'bronze', points: 500, program: 'runners' });

    const onlyCrm = await server.api('POST', '/api/v1/merge-policies', { name: 'crm only', identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: [ds.crm] } });
    const crmView = await server.api('GET', `/api/v1/profiles?identity=CRMID:C-2&mergePolicyId=${onlyCrm.body.id}`);
    assert.deepEqual(crmView.body.attributes.loyalty, { tier: 'gold', points: 500 }, 'datasets not listed are not merged');

    const bad = await server.api('POST', '/api/v1/merge-policies', { name: 'x', identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'attributeMerge.order');
  } finally {
    await server.stop();
  }
});

test('a family tablet never merges two customers: anonymous browsing belongs to whoever logged in last', async () => {
  const server = await startTestServer();
  try {
    const ds = await setup(server);
    const login = (crm: string, id: string, at: string) => ({ _id: id, timestamp: at, eventType: 'userLogin', identityMap: { ECID: [{ id: TABLET }], CRMID: [{ id: crm }] } });
    await server.api('POST', `/api/v1/ingest/${ds.web}`, login('alice', 'l1', '2026-11-01T08:00:00Z'));
    await server.api('POST', `/api/v1/ingest/${ds.web}`, login('bob', 'l2', '2026-11-01T20:00:00Z'));
    const alice = await server.api('GET', '/api/v1/profiles?identity=CRMID:alice');
    const bob = await server.api('GET', '/api/v1/profiles?identity=CRMID:bob');
    assert.notEqual(alice.body.profileId, bob.body.profileId);
    const tablet = await server.api('GET', `/api/v1/profiles?identity=ECID:${TABLET}`);
    assert.equal(tablet.body.profileId, bob.body.profileId);
    assert.deepEqual(alice.body.identities, [{ namespace: 'CRMID', id: 'alice' }]);
  } finally {
    await server.stop();
  }
});

test('bad identity values are named while the record and its other identities still count', async () => {
  const server = await startTestServer();
  try {
    const ds = await setup(server);
    const res = await server.api('POST', `/api/v1/ingest/${ds.web}`, {
      _id: 'x1',
      timestamp: '2026-11-01T00:00:00Z',
      identityMap: { ECID: [{ id: 'not-an-ecid' }], Email: [{ id: 'zoe@example.com' }], CRMID: [{ id: 'Z-1' }] },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.warnings, [{ index: 0, path: 'identityMap.ECID[0].id', message: 'ECID identity an ECID is exactly 38 digits' }]);
    const zoe = await server.api('GET', '/api/v1/profiles?identity=CRMID:Z-1');
    assert.deepEqual(zoe.body.identities.map((i: { namespace: string }) => i.namespace).sort(), ['CRMID', 'Email']);
    const unknown = await server.api('GET', '/api/v1/profiles?identity=ECID:not-an-ecid');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.detail, /38 digits/);
  } finally {
    await server.stop();
  }
});

test('a delete request removes the person everywhere; an access request returns everything first', async () => {
  const server = await startTestServer();
  try {
    const ds = await setup(server);
    await server.api('POST', `/api/v1/ingest/${ds.crm}`, { _id: 'p1', crm: { crmId: 'C-9' }, personalEmail: { address: 'gone@example.com' }, loyalty: { tier: 'gold' } });
    await server.api('POST', `/api/v1/ingest/${ds.web}`, { _id: 'e1', timestamp: '2026-11-01T00:00:00Z', identityMap: { ECID: [{ id: ECID }], Email: [{ id: 'gone@example.com' }] } });
    await server.api('POST', `/api/v1/ingest/${ds.crm}`, { _id: 'other', crm: { crmId: 'C-10' }, loyalty: { tier: 'silver' } });
    // a rejected record that names the person is kept with its reason, until the person asks
    await server.api('POST', `/api/v1/ingest/${ds.crm}`, { _id: 'bad', crm: { crmId: 'C-9' }, personalEmail: { address: 'gone@example.com' }, loyalty: { points: 'many' } });

    const access = await server.api('POST', '/api/v1/privacy/jobs', { type: 'access', identity: { namespace: 'Email', value: 'gone@example.com' } });
    assert.equal(access.status, 201, JSON.stringify(access.body));
    assert.equal(access.body.status, 'complete');
    assert.deepEqual(access.body.counts, { identities: 3, records: 2, fragments: 1, rejectedRecords: 1 });
    const file = await server.api('GET', access.body.file);
    assert.equal(file.status, 200);
    assert.equal(file.body.profile.attributes.loyalty.tier, 'gold');
    assert.deepEqual(file.body.records.map((r: { record: { _id: string } }) => r.record._id).sort(), ['e1', 'p1']);

    const del = await server.api('POST', '/api/v1/privacy/jobs', { type: 'delete', identity: { namespace: 'ECID', value: ECID } });
    assert.equal(del.body.status, 'complete');
    assert.equal(del.body.counts.records, 2);
    assert.equal(del.body.counts.rejectedRecords, 1);
    assert.deepEqual((await server.api('GET', `/api/v1/datasets/${ds.crm}/rejections`)).body.items, []);
    for (const identity of [`ECID:${ECID}`, 'Email:gone@example.com', 'CRMID:C-9']) {
      assert.equal((await server.api('GET', `/api/v1/profiles?identity=${identity}`)).status, 404, identity);
      assert.equal((await server.api('GET', `/api/v1/identity/graph?identity=${identity}`)).status, 404, identity);
    }
    const crmRecords = await server.api('GET', `/api/v1/datasets/${ds.crm}/records`);
    assert.deepEqual(crmRecords.body.items.map((r: { _id: string }) => r._id), ['other'], 'other people are untouched');
    const audit = await server.api('GET', '/api/v1/audit');
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === 'privacy.delete'));
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === 'privacy.access'));

    const noop = await server.api('POST', '/api/v1/privacy/jobs', { type: 'delete', identity: { namespace: 'Email', value: 'nobody@example.com' } });
    assert.equal(noop.body.status, 'complete');
    assert.match(noop.body.message, /no data is held/);
  } finally {
    await server.stop();
  }
});
