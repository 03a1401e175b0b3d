/**
 * A job's changes written before the activation service is wired are queued at a job's next
 * announcement, once; written after, the announcement queues nothing (their rows went with them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteMembershipStore } from '../segmentation/memberships/sqlite-store.ts';
import type { Membership } from '../segmentation/memberships/store.ts';
import { MembershipOutbox } from './membership-outbox.ts';
import type { ActivationService } from './service.ts';
import { SqliteActivationStore } from './sqlite-store.ts';

test("a job's changes written before the activation service is wired are queued at the next announcement, once", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-outbox-'));
  const db = openSqlite(join(dir, 'meridian.db'));
  try {
    const queued: { sandboxId: string; changes: readonly Membership[] }[] = [];
    // Only what the outbox asks of the service when no streaming activation takes a change.
    const service = {
      onMembershipChanges: (sandboxId: string, changes: readonly Membership[]) => void queued.push({ sandboxId, changes }),
      streamingOutbox: () => ({ items: [], runs: [], woken: new Map<string, number>() }),
    } as unknown as ActivationService;
    let wired: ActivationService | undefined;
    const outbox = new MembershipOutbox(new SqliteActivationStore(db), () => wired);
    const store = outbox.jobStore(new SqliteMembershipStore(db));
    const entry: Membership = { audienceId: 'aud_1', profileId: 'p1', status: 'realized', lastQualificationTime: 1000, updatedAt: 1000 };
    const stays: Membership = { audienceId: 'aud_1', profileId: 'p2', status: 'existing', lastQualificationTime: 900, updatedAt: 1000 };
    await store.put('sbx_1', [entry, stays]);
    outbox.jobAnnounced(); // still unwired: kept
    assert.deepEqual(queued, []);
    wired = service;
    outbox.jobAnnounced();
    assert.deepEqual(queued, [{ sandboxId: 'sbx_1', changes: [entry] }], 'the entry, not the member who stays');
    await store.put('sbx_1', [{ ...entry, profileId: 'p3' }]);
    outbox.jobAnnounced();
    assert.equal(queued.length, 1, 'written while wired: nothing more at the announcement');
    assert.equal((await store.forProfile('sbx_1', 'p3')).length, 1, 'and written');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
