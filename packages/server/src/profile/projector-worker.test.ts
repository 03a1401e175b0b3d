import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { bootstrapPlatform, openPlatform, type Platform } from '../app/platform.ts';
import type { Dataset } from '../catalog/model.ts';
import type { Sandbox } from '../tenancy/model.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteProfileStore } from './sqlite-store.ts';

interface CrmPlatform {
  dir: string;
  platform: Platform;
  sandbox: Sandbox;
  crm: Dataset;
}

/** Runs `work` on a fresh platform with a profile-enabled `crm` dataset in sandbox prod, then closes and removes it. */
async function withCrmPlatform(work: (setup: CrmPlatform) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-projector-'));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_projector_test_key_0123456789' }));
  try {
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
    await work({ dir, platform, sandbox, crm });
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kernel names of this process's threads (Linux). */
const threadNames = () => readdirSync('/proc/self/task').map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());

test(
  "startThreads has the record log's and the projector's threads running before the first record arrives",
  { skip: process.platform !== 'linux' && 'thread names through /proc are a Linux feature' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-projector-'));
    const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_projector_test_key_0123456789' }));
    try {
      const before = threadNames();
      assert.ok(!before.includes('mrd-projector') && !before.includes('mrd-record-log-'), `nothing started them yet: ${before.join(', ')}`);
      await platform.startThreads();
      const names = threadNames();
      assert.ok(names.includes('mrd-record-log-'), `the record log's writer thread runs: ${names.join(', ')}`);
      assert.ok(names.includes('mrd-projector'), `the projector's thread runs: ${names.join(', ')}`);
      const count = (name: string) => threadNames().filter((n) => n === name).length;
      const running = [count('mrd-projector'), count('mrd-record-log-')];
      await platform.startThreads(); // already running: nothing more starts
      assert.deepEqual([count('mrd-projector'), count('mrd-record-log-')], running);
      await bootstrapPlatform(platform);
      const sandbox = await platform.tenancy.getSandbox('prod');
      const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
      // 20 records: more than the event loop commits itself, so they cross to the started writer thread.
      const people = Array.from({ length: 20 }, (_, i) => ({ crm: { crmId: `S${i}` }, loyalty: { tier: 'gold' } }));
      await platform.ingest.accept(sandbox.id, crm, people, { source: 'test' });
      await platform.settleProfiles();
      assert.equal(((await platform.profiles.lookup(sandbox.id, 'CRMID', 'S19'))?.attributes.loyalty as { tier: string }).tier, 'gold');
    } finally {
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('profiles are projected in their own thread, and a thread that dies is replaced without losing a record', () =>
  withCrmPlatform(async ({ platform, sandbox, crm }) => {
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'A' }, loyalty: { tier: 'silver' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.equal(((await platform.profiles.lookup(sandbox.id, 'CRMID', 'A'))?.attributes.loyalty as { tier: string }).tier, 'silver');

    await platform.profileProjection.kill();
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'B' }, personalEmail: { address: 'b@x.com' } }], { source: 'test' });
    await platform.settleProfiles();
    const b = await platform.profiles.lookup(sandbox.id, 'Email', 'b@x.com');
    assert.deepEqual(b?.identities.map((i) => `${i.namespace}:${i.id}`).sort(), ['CRMID:B', 'Email:b@x.com']);
  }));

test('a dataset made profile-enabled after start is projected with the catalog as it is now, not as the thread first saw it', () =>
  withCrmPlatform(async ({ platform, sandbox }) => {
    const loyalty = await platform.catalog.create(sandbox.id, { name: 'loyalty', schemaId: 'profile', profileEnabled: false });
    await platform.ingest.accept(sandbox.id, loyalty, [{ crm: { crmId: 'C' }, loyalty: { tier: 'bronze' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.deepEqual((await platform.profiles.lookup(sandbox.id, 'CRMID', 'C'))?.attributes ?? {}, {}, 'not profile-enabled yet: no attributes');
    await platform.catalog.update(sandbox.id, loyalty.id, { profileEnabled: true });
    await platform.ingest.accept(sandbox.id, loyalty, [{ crm: { crmId: 'C' }, loyalty: { tier: 'gold' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.equal(((await platform.profiles.lookup(sandbox.id, 'CRMID', 'C'))?.attributes.loyalty as { tier: string }).tier, 'gold');
  }));

test('a custom namespace created after the thread planned its sandbox is known to the next records', () =>
  withCrmPlatform(async ({ platform, sandbox, crm }) => {
    // A first pass: the thread now holds the sandbox's plan (its custom namespaces: none).
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'E' }, loyalty: { tier: 'silver' } }], { source: 'test' });
    await platform.settleProfiles();
    await platform.identity.createNamespace(sandbox.id, { code: 'LoyaltyId', name: 'Loyalty card', type: 'cross_device' });
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'D' }, identityMap: { LoyaltyId: [{ id: 'L-9' }] }, loyalty: { tier: 'gold' } }], { source: 'test' });
    await platform.settleProfiles();
    const byCard = await platform.profiles.lookup(sandbox.id, 'LoyaltyId', 'L-9');
    assert.ok(byCard, 'the card number was linked with the namespace as it is now');
    assert.equal((byCard.attributes.loyalty as { tier: string }).tier, 'gold');
    assert.ok(byCard.identities.some((i) => i.namespace === 'CRMID' && i.id === 'D'), 'one person with the CRM ID');
  }));

test("an identity field added to a schema after the thread planned its dataset is linked in the next records", () =>
  withCrmPlatform(async ({ platform, sandbox }) => {
    const input = {
      name: 'members',
      class: 'profile' as const,
      fieldGroups: ['loyalty'],
      fields: { account: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' } } } },
      identities: [{ path: 'account.id', namespace: 'CRMID', primary: true }],
    };
    const schema = await platform.schemas.create(sandbox.id, input);
    const members = await platform.catalog.create(sandbox.id, { name: 'members', schemaId: schema.id, profileEnabled: true });
    await platform.ingest.accept(sandbox.id, members, [{ account: { id: 'F', email: 'f@example.com' } }], { source: 'test' });
    await platform.settleProfiles();
    assert.equal(await platform.profiles.lookup(sandbox.id, 'Email', 'f@example.com'), undefined, 'the e-mail is no identity yet');
    await platform.schemas.update(sandbox.id, schema.id, { ...input, identities: [...input.identities, { path: 'account.email', namespace: 'Email' }] });
    await platform.ingest.accept(sandbox.id, members, [{ account: { id: 'G', email: 'g@example.com' } }], { source: 'test' });
    await platform.settleProfiles();
    const byEmail = await platform.profiles.lookup(sandbox.id, 'Email', 'g@example.com');
    assert.ok(byEmail?.identities.some((i) => i.namespace === 'CRMID' && i.id === 'G'), 'linked with the schema as it is now');
  }));

test('without anyone awaiting a catch-up, nudges alone bring the projection to the end of the log, however they interleave with passes', () =>
  withCrmPlatform(async ({ dir, platform, sandbox, crm }) => {
    // Many small writes, some while a pass runs (the main thread then only counts the nudge) and
    // some after it ends (it posts one): none may be left unprojected.
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: `R${round}-${i}` }, loyalty: { tier: 'gold' } }], { source: 'test' }),
        ),
      );
      if (round % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const end = await platform.records.lastSeq();
    const reader = openSqlite(join(dir, 'meridian.db'), 'normal', 1000);
    const store = new SqliteProfileStore(reader);
    const deadline = Date.now() + 15_000;
    while ((await store.watermark()) < end && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(await store.watermark(), end, 'the projector reached the last record on nudges alone');
    assert.ok(await platform.profiles.lookup(sandbox.id, 'CRMID', 'R19-9'));
    reader.close();
  }));
