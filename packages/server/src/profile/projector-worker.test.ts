import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { bootstrapPlatform, openPlatform } from '../app/platform.ts';

async function platformWithCrm() {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-projector-'));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_ADMIN_KEY: 'mrd_projector_test_key_0123456789' }));
  await bootstrapPlatform(platform);
  const sandbox = await platform.tenancy.getSandbox('prod');
  const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
  return { dir, platform, sandbox, crm };
}

test('profiles are projected in their own thread, and a thread that dies is replaced without losing a record', async () => {
  const { dir, platform, sandbox, crm } = await platformWithCrm();
  try {
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'A' }, loyalty: { tier: 'silver' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.equal(((await platform.profiles.lookup(sandbox.id, 'CRMID', 'A'))?.attributes.loyalty as { tier: string }).tier, 'silver');

    await platform.profileProjection.kill();
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'B' }, personalEmail: { address: 'b@x.com' } }], { source: 'test' });
    await platform.settleProfiles();
    const b = await platform.profiles.lookup(sandbox.id, 'Email', 'b@x.com');
    assert.deepEqual(b?.identities.map((i) => `${i.namespace}:${i.id}`).sort(), ['CRMID:B', 'Email:b@x.com']);
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dataset made profile-enabled after start is projected with the catalog as it is now, not as the thread first saw it', async () => {
  const { dir, platform, sandbox } = await platformWithCrm();
  try {
    const loyalty = await platform.catalog.create(sandbox.id, { name: 'loyalty', schemaId: 'profile', profileEnabled: false });
    await platform.ingest.accept(sandbox.id, loyalty, [{ crm: { crmId: 'C' }, loyalty: { tier: 'bronze' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.deepEqual((await platform.profiles.lookup(sandbox.id, 'CRMID', 'C'))?.attributes ?? {}, {}, 'not profile-enabled yet: no attributes');
    await platform.catalog.update(sandbox.id, loyalty.id, { profileEnabled: true });
    await platform.ingest.accept(sandbox.id, loyalty, [{ crm: { crmId: 'C' }, loyalty: { tier: 'gold' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.equal(((await platform.profiles.lookup(sandbox.id, 'CRMID', 'C'))?.attributes.loyalty as { tier: string }).tier, 'gold');
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
