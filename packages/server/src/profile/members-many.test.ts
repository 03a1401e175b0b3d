import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { bootstrapPlatform, openPlatform } from '../app/platform.ts';
import { identityKey } from '../identity/graph.ts';

test('the people of many identities at once are those found one identity at a time, under each kind of policy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-members-many-'));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_members_many_key_0123456789' }));
  try {
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const ecid = (n: number) => String(n).padStart(38, '0');
    // Two stitched people (CRM id + email + devices), lone devices, and an identity nobody holds.
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'C1' }, personalEmail: { address: 'a@x.com' } }, { crm: { crmId: 'C2' } }], { source: 'test' });
    await platform.ingest.accept(
      sandbox.id,
      web,
      [1, 2, 3, 4].map((n) => ({ _id: `e${n}`, timestamp: new Date().toISOString(), eventType: 'x', identityMap: { ECID: [{ id: ecid(n) }], ...(n <= 2 ? { CRMID: [{ id: `C${n}` }] } : {}) } })),
      { source: 'test' },
    );
    await platform.settleProfiles();
    const keys = [identityKey('CRMID', 'C1'), identityKey('Email', 'a@x.com'), identityKey('ECID', ecid(1)), identityKey('ECID', ecid(2)), identityKey('ECID', ecid(3)), identityKey('ECID', ecid(4)), identityKey('ECID', ecid(9))];
    const stitched = await platform.profiles.policy(sandbox.id);
    const unstitched = await platform.profiles.createPolicy(sandbox.id, { name: 'no graph', identityGraph: { type: 'none' }, attributeMerge: { type: 'timestampOrdered' } });
    for (const policy of [stitched, unstitched]) {
      const together = await platform.profiles.membersMany(sandbox.id, keys, policy);
      for (const key of keys) {
        const alone = await platform.profiles.members(sandbox.id, key, policy);
        assert.deepEqual(together.get(key) && { ...together.get(key), keys: [...together.get(key)!.keys].sort() }, alone && { ...alone, keys: [...alone.keys].sort() }, `${policy.identityGraph.type} ${key}`);
      }
    }
    const ann = (await platform.profiles.membersMany(sandbox.id, keys, stitched)).get(keys[0]);
    assert.equal(ann?.keys.length, 3, 'CRM id, email and device make one person');
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
