import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Membership } from '../../segmentation/memberships/store.ts';
import { ActivationService } from '../service.ts';
import type { ActivationSources, ProfileView } from '../sources.ts';
import { SqliteActivationStore } from '../sqlite-store.ts';
import type { OutboxItem } from '../store.ts';
import { fakeDestination, type FakeDestination } from '../test-support.ts';
import { lanesOf } from './queue.ts';

const item = (seq: number, profileId: string): OutboxItem => ({
  seq,
  sandboxId: 'sbx',
  activationId: 'act',
  runId: 'run',
  profileId,
  audienceId: 'aud',
  status: 'realized',
  changedAt: 1,
  lastQualificationTime: 1,
  attempts: 0,
  nextAttemptAt: 0,
});

test('a few due items make one batch, not one per lane; more spread over one lane per full batch', () => {
  const few = Array.from({ length: 7 }, (_, i) => item(i, `p${i}`));
  assert.deepEqual(
    lanesOf(few, 100, 4).map((l) => l.length),
    [7],
  );
  const many = Array.from({ length: 250 }, (_, i) => item(i, `p${i}`));
  const lanes = lanesOf(many, 100, 4);
  assert.equal(lanes.length, 2);
  assert.equal(lanes.flat().length, 250);
  const lots = Array.from({ length: 1000 }, (_, i) => item(i, `p${i}`));
  assert.equal(lanesOf(lots, 100, 4).length, 4, 'never more lanes than the concurrency');
});

test("one person's items share a lane, in their order", () => {
  const items = Array.from({ length: 300 }, (_, i) => item(i, `p${i % 10}`));
  for (const lane of lanesOf(items, 50, 4)) {
    const people = new Set(lane.map((i) => i.profileId));
    for (const p of people) {
      const seqs = items.filter((i) => i.profileId === p).map((i) => i.seq);
      assert.deepEqual(
        lane.filter((i) => i.profileId === p).map((i) => i.seq),
        seqs,
        `all of ${p}'s items, in order, in one lane`,
      );
    }
  }
});

/** Profiles that exist for any id, with an ECID of the same value. */
const sources: ActivationSources = {
  async profiles(_s, profileIds) {
    const out = new Map<string, ProfileView>();
    for (const id of profileIds) out.set(id, { attributes: {}, identities: [{ namespace: 'ECID', id }], segmentMembership: { ups: {} } });
    return out;
  },
  async audience(_s, audienceId) {
    return { id: audienceId, name: 'buyers', mergePolicyId: 'mp' };
  },
  async members() {
    return [];
  },
  async namespaceExists() {
    return true;
  },
  async person() {
    return undefined;
  },
};

let dir: string;
let db: SqliteDatabase;
let service: ActivationService;
let fake: FakeDestination;
const sandbox = { id: 'sbx', name: 'prod' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-queue-'));
  db = openSqlite(join(dir, 'activation.db'));
  fake = await fakeDestination();
  service = await ActivationService.open({
    store: new SqliteActivationStore(db),
    sources,
    exportRoot: join(dir, 'exports'),
    metrics: { delivered: () => undefined, retried: () => undefined, dead: () => undefined },
    onError: (err) => assert.fail(err),
  });
  const destination = await service.createDestination(sandbox, { name: 'hook', type: 'webhook', settings: { url: fake.url, batchSize: 10, template: { ecid: '{{identity.ECID}}' } } });
  await service.create(sandbox, { name: 'buyers', destinationId: destination.id, audienceIds: ['aud'], identities: [{ namespace: 'ECID' }], schedule: { type: 'streaming' } });
  await service.idle();
});
after(async () => {
  await service.close();
  db.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const change = (profileId: string): Membership => ({ profileId, audienceId: 'aud', status: 'realized', lastQualificationTime: Date.now(), updatedAt: Date.now() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ecids = () => fake.received.map((r) => (r.json as { ecid: string }[]).map((e) => e.ecid));

test('streaming changes that arrive within the linger time share one call to the destination', async () => {
  fake.received.length = 0;
  service.tune({ lingerMs: 300 });
  service.onMembershipChanges('sbx', [change('a1')]);
  await sleep(20);
  service.onMembershipChanges('sbx', [change('a2')]);
  await sleep(20);
  service.onMembershipChanges('sbx', [change('a3'), change('a4')]);
  await fake.waitFor((r) => r.length >= 1);
  await service.idle();
  assert.deepEqual(ecids(), [['a1', 'a2', 'a3', 'a4']]);
});

test('a full batch goes at once, without waiting for the linger time', async () => {
  fake.received.length = 0;
  service.tune({ lingerMs: 60_000 });
  const started = Date.now();
  service.onMembershipChanges('sbx', Array.from({ length: 10 }, (_, i) => change(`b${i}`)));
  service.onMembershipChanges('sbx', [change('b10')]);
  await fake.waitFor((r) => r.length >= 1);
  assert.ok(Date.now() - started < 30_000);
  assert.equal(ecids()[0].length, 10, 'the full batch');
  service.tune({ lingerMs: 0 });
  service.onMembershipChanges('sbx', [change('b11')]);
  await fake.waitFor((r) => r.flat().length >= 2 && ecids().flat().includes('b11'));
  await service.idle();
  assert.deepEqual(ecids().flat().sort(), Array.from({ length: 12 }, (_, i) => `b${i}`).sort());
});

test('without a linger time each change is sent as soon as it is in the outbox', async () => {
  fake.received.length = 0;
  service.tune({ lingerMs: 0 });
  service.onMembershipChanges('sbx', [change('c1')]);
  await fake.waitFor((r) => r.length >= 1);
  await sleep(50);
  service.onMembershipChanges('sbx', [change('c2')]);
  await fake.waitFor((r) => r.length >= 2);
  assert.deepEqual(ecids(), [['c1'], ['c2']]);
});
