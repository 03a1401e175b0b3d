/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../app/platform.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { startTestServer } from '../testing/harness.ts';
import { fakeDestination, goldAudience, ingest, person, pql } from './test-support.ts';

test('an entry committed to the membership store but never announced (a crash in between) is exported after the restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-activation-recovery-'));
  const hook = await fakeDestination();
  try {
    let server = await startTestServer({}, dir);
    const { datasetId, audienceId } = await goldAudience(server);
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'hook', type: 'webhook', settings: { url: hook.url } });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'gold', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
    });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));
    await ingest(server, datasetId, [person(1), person(77, 'silver')]);
    await hook.waitFor((r) => r.length >= 1);
    await server.running.platform.activations.idle();
    const profile = await server.api('GET', '/api/v1/profiles?identity=CRMID:C77');
    // What a crash between the membership commit and the announcement leaves behind.
    const at = Date.now() + 5;
    await server.running.platform.memberships.put(profile.body.sandbox?.id ?? (await server.running.platform.tenancy.getSandbox('prod')).id, [
      { profileId: profile.body.profileId, audienceId, status: 'realized', lastQualificationTime: at, updatedAt: at },
    ]);
    await server.stop({ keepData: true });
    assert.equal(hook.received.length, 1, 'nothing announced the entry');

    server = await startTestServer({}, dir);
    try {
      await hook.waitFor((r) => r.some((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C77'));
      const entry = hook.received.find((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C77')!;
      assert.equal(entry.json.segmentMembership.ups[audienceId].status, 'realized');
      await server.running.platform.activations.idle();
      // At-least-once: the entries of the last announced pass (at the watermark) may come again, under the same idempotency key.
      const c1 = hook.received.filter((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C1');
      assert.equal(new Set(c1.map((x) => x.headers['idempotency-key'])).size, 1, 'a repeated entry is recognisable as the same delivery');
    } finally {
      await server.stop();
    }
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Counts the changes queued by the announcement's own way into the outbox (a transaction after the memberships'). */
/**
 * Gold people who arrive before their audience exists (no streaming pass evaluates them for it; a
 * job does), then the audience and a streaming activation of it to `hookUrl`.
 */
async function peopleBeforeTheirAudience(server: Awaited<ReturnType<typeof startTestServer>>, hookUrl: string, people: number) {
  const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
  for (let from = 1; from <= people; from += 100) {
    await ingest(server, crm.body.id, Array.from({ length: Math.min(100, people - from + 1) }, (_, i) => person(from + i)));
  }
  await server.running.platform.settleProfiles();
  const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'hook', type: 'webhook', settings: { url: hookUrl } });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'gold', destinationId: destination.body.id, audienceIds: [gold.body.id], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  return { gold, activation };
}

function countQueuedByAnnouncement(platform: Platform): () => number {
  let queued = 0;
  const viaAnnouncement = platform.activations.onMembershipChanges.bind(platform.activations);
  platform.activations.onMembershipChanges = (sandboxId, changes) => {
    queued += changes.length;
    viaAnnouncement(sandboxId, changes);
  };
  return () => queued;
}

test("a streaming pass's entries and exits reach the outbox in the pass's own transaction, once each, not through its announcement", async () => {
  const hook = await fakeDestination();
  const server = await startTestServer();
  try {
    const { datasetId, audienceId } = await goldAudience(server);
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'hook', type: 'webhook', settings: { url: hook.url } });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'gold', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
    });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));
    // Another connection, as a restarted process would read the file: what is committed when the pass is announced.
    const reader = openSqlite(join(server.dataDir, 'meridian.db'));
    const outboxAtAnnouncement: { changes: string[]; outbox: string[] }[] = [];
    // The announcement's own way into the outbox (a transaction after the pass's) must not be taken.
    const queuedByAnnouncement = countQueuedByAnnouncement(server.running.platform);
    server.running.platform.streamingAudiences.onChange((_sandboxId, changes) => {
      const rows = reader.prepare('SELECT profile_id, status FROM act_outbox WHERE activation_id = ? ORDER BY seq').all(activation.body.id) as { profile_id: string; status: string }[];
      outboxAtAnnouncement.push({ changes: changes.map((c) => `${c.profileId}:${c.status}`).sort(), outbox: rows.map((r) => `${r.profile_id}:${r.status}`).sort() });
    });
    try {
      await ingest(server, datasetId, [person(1)]);
      await hook.waitFor((r) => r.length >= 1);
      await server.running.platform.activations.idle();
      await ingest(server, datasetId, [person(1, 'silver')]);
      await hook.waitFor((r) => r.length >= 2);
      await server.running.platform.activations.idle();
    } finally {
      reader.close();
    }
    assert.equal(queuedByAnnouncement(), 0);
    assert.deepEqual(outboxAtAnnouncement.map((a) => a.changes.map((c) => c.split(':')[1])), [['realized'], ['exited']]);
    for (const { changes, outbox } of outboxAtAnnouncement) assert.deepEqual(outbox, changes, 'the outbox holds the pass\'s changes, each once');
    assert.deepEqual(hook.received.map((r) => r.json.segmentMembership.ups[audienceId].status), ['realized', 'exited'], 'and each reaches the destination once');
  } finally {
    await server.stop();
    await hook.close();
  }
});

test("an audience job's entries reach the outbox in the transaction that writes its memberships, not through its announcement", async () => {
  const hook = await fakeDestination();
  const server = await startTestServer();
  try {
    const platform = server.running.platform;
    const { gold } = await peopleBeforeTheirAudience(server, hook.url, 2);
    const queuedByAnnouncement = countQueuedByAnnouncement(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    await platform.audienceJobs.submit(sandbox.id, { audienceIds: [gold.body.id] }, 'api');
    await platform.audienceJobs.idle();
    await hook.waitFor((r) => r.length >= 2);
    await platform.activations.idle();
    assert.equal(queuedByAnnouncement(), 0);
    assert.deepEqual(hook.received.map((r) => r.json.identityMap.CRMID[0].id).sort(), ['C1', 'C2'], 'each entry once');
  } finally {
    await server.stop();
    await hook.close();
  }
});

test("a large audience job batch is written on the bulk writer's thread with its outbox rows, in one transaction, and queued once", async () => {
  const hook = await fakeDestination();
  const server = await startTestServer();
  try {
    const platform = server.running.platform;
    const people = 1_100; // one put of more than BULK_PUT memberships
    const { gold, activation } = await peopleBeforeTheirAudience(server, hook.url, people);
    const queuedByAnnouncement = countQueuedByAnnouncement(platform);
    // Another connection, as a restarted process would read the file: at the announcement, the outbox rows are committed.
    const reader = openSqlite(join(server.dataDir, 'meridian.db'));
    const atAnnouncement: { changes: number; queued: number; members: number }[] = [];
    platform.audienceJobs.onChange((_sandboxId, batch) => {
      const changes = batch.changes();
      const queued = reader.prepare('SELECT coalesce(sum(queued), 0) FROM act_runs WHERE activation_id = ?').pluck().get(activation.body.id) as number;
      const members = reader.prepare(`SELECT count(*) FROM profile_memberships WHERE memberships LIKE '%' || ? || '%'`).pluck().get(gold.body.id) as number;
      atAnnouncement.push({ changes: changes.length, queued, members });
    });
    const sandbox = await platform.tenancy.getSandbox('prod');
    await platform.audienceJobs.submit(sandbox.id, { audienceIds: [gold.body.id] }, 'api');
    await platform.audienceJobs.idle();
    assert.deepEqual(atAnnouncement, [{ changes: people, queued: people, members: people }], 'one batch: its memberships and outbox rows committed together');
    if (process.platform === 'linux') {
      const { readdirSync, readFileSync } = await import('node:fs');
      const names = readdirSync('/proc/self/task').map((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim());
      assert.ok(names.includes('mrd-outbox-writ'), `the outbox writer's thread wrote it (threads: ${[...new Set(names)].join(', ')})`);
    }
    await hook.waitFor((r) => r.length >= 1);
    assert.equal(queuedByAnnouncement(), 0, 'the announcement queues nothing more');
    reader.close();
  } finally {
    await server.stop();
    await hook.close();
  }
});
