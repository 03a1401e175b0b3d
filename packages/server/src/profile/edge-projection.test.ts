import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { bootstrapPlatform, openPlatform } from '../app/platform.ts';
import { identityKey } from '../identity/graph.ts';

async function platformWith(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-edge-'));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_edge_test_key_0123456789', ...env }));
  await bootstrapPlatform(platform);
  const sandbox = await platform.tenancy.getSandbox('prod');
  const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
  const put = async (records: object[]) => {
    await platform.ingest.accept(sandbox.id, crm, records, { source: 'test' });
    await platform.settleProfiles();
  };
  return { platform, sandbox, put, close: async () => { await platform.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('the edge view of a person is kept current on every write and shared by all their identities', async () => {
  const { platform, sandbox, put, close } = await platformWith();
  try {
    await put([{ crm: { crmId: 'A' }, personalEmail: { address: 'a@x.com' }, loyalty: { tier: 'silver' } }]);
    const byCrm = await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', 'A'));
    assert.equal((byCrm?.attributes.loyalty as { tier: string }).tier, 'silver');
    const byEmail = await platform.edgeProjection.get(sandbox.id, identityKey('Email', 'a@x.com'));
    assert.deepEqual(byEmail, byCrm, 'one view per person');
    assert.equal(platform.edgeProjection.stats().people, 1);
    await put([{ timestamp: new Date(Date.now() + 1000).toISOString(), crm: { crmId: 'A' }, loyalty: { tier: 'gold' } }]);
    const after = await platform.edgeProjection.get(sandbox.id, identityKey('Email', 'a@x.com'));
    assert.equal((after?.attributes.loyalty as { tier: string }).tier, 'gold');
    assert.equal(await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', 'nobody')), undefined);
  } finally {
    await close();
  }
});

test('the edge projection holds a bounded number of people, least recently used leave first', async () => {
  const { platform, sandbox, put, close } = await platformWith({ MERIDIAN_EDGE_PROJECTION_MAX_PROFILES: '2' });
  try {
    await put(['A', 'B', 'C'].map((id) => ({ crm: { crmId: id } })));
    for (const id of ['A', 'B', 'A', 'C']) await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', id));
    assert.equal(platform.edgeProjection.stats().people, 2);
    const before = platform.edgeProjection.stats().misses;
    await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', 'A'));
    assert.equal(platform.edgeProjection.stats().misses, before, 'A was used recently and stayed');
    await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', 'B'));
    assert.equal(platform.edgeProjection.stats().misses, before + 1, 'B left first and is read cold again');
  } finally {
    await close();
  }
});

test('a read while a held view is being recomputed waits for the new view: never the stale one, never a miss', async () => {
  const { platform, sandbox, put, close } = await platformWith();
  try {
    await put([{ crm: { crmId: 'A' }, loyalty: { tier: 'silver' } }]);
    const key = identityKey('CRMID', 'A');
    await platform.edgeProjection.get(sandbox.id, key);
    await put([{ timestamp: new Date(Date.now() + 1000).toISOString(), crm: { crmId: 'A' }, loyalty: { tier: 'gold' } }]);
    const misses = platform.edgeProjection.stats().misses;
    // Both start before the refresh's read returns: the read must not see silver, nor go to the store itself.
    const refreshed = platform.edgeProjection.refresh(sandbox.id, [key]);
    const during = await platform.edgeProjection.get(sandbox.id, key);
    await refreshed;
    assert.equal((during?.attributes.loyalty as { tier: string }).tier, 'gold');
    assert.equal(platform.edgeProjection.stats().misses, misses);
  } finally {
    await close();
  }
});
