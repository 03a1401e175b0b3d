import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../testing/harness.ts';
import { activationSources } from './platform-sources.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });

test('profiles read a page together: the same views as one-by-one lookups; gone people absent; memberships only when asked', async () => {
  const server = await startTestServer();
  const { platform } = server.running;
  try {
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = (await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true })).body;
    const gold = (await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') })).body;
    const people = [
      { crm: { crmId: 'C1' }, personalEmail: { address: 'ann@example.com' }, loyalty: { tier: 'gold', points: 10 } },
      { crm: { crmId: 'C2' }, personalEmail: { address: 'bob@example.com' }, loyalty: { tier: 'silver' } },
      { crm: { crmId: 'C3' }, loyalty: { tier: 'gold' } }, // one identity: possibly no graph, a `CRMID:C3` profile id
    ];
    assert.equal((await server.api('POST', `/api/v1/ingest/${crm.id}`, people)).status, 200);
    await platform.settleProfiles();

    const single = await Promise.all(['C1', 'C2', 'C3'].map((id) => platform.profiles.lookup(sandbox.id, 'CRMID', id)));
    const ids = single.map((p) => p!.profileId);
    const policy = await platform.profiles.policy(sandbox.id);
    const sources = activationSources(platform);
    const read = await sources.profiles(sandbox.id, [...ids, 'g_gone', 'CRMID'], policy.id, { memberships: true });
    assert.deepEqual([...read.keys()].sort(), [...ids].sort(), 'an unknown graph id and a malformed id are absent');
    for (const p of single) {
      const view = read.get(p!.profileId)!;
      assert.deepEqual(view.attributes, p!.attributes);
      assert.deepEqual([...view.identities].sort((a, b) => a.namespace.localeCompare(b.namespace)), [...p!.identities].sort((a, b) => a.namespace.localeCompare(b.namespace)));
      assert.deepEqual(view.segmentMembership, p!.segmentMembership);
    }
    assert.equal(read.get(ids[0])!.segmentMembership.ups[gold.id]?.status, 'realized');
    assert.equal(read.get(ids[1])!.segmentMembership.ups[gold.id], undefined);

    const bare = await sources.profiles(sandbox.id, ids, policy.id, { memberships: false });
    assert.deepEqual(bare.get(ids[0])!.segmentMembership, { ups: {} }, 'file exports do not read memberships');
    assert.deepEqual(bare.get(ids[0])!.attributes, single[0]!.attributes);
    assert.equal((await sources.profiles(sandbox.id, [], policy.id, { memberships: true })).size, 0);

    const dev = (await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).body;
    const devPolicy = await platform.profiles.policy(dev.id);
    assert.equal((await sources.profiles(dev.id, ids, devPolicy.id, { memberships: true })).size, 0, 'nothing crosses sandboxes');
  } finally {
    await server.stop();
  }
});
