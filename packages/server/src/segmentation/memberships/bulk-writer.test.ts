import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../storage/sqlite.ts';
import { WriteGate } from '../../storage/write-gate.ts';
import { MembershipBulkWriter } from './bulk-writer.ts';
import { BULK_PUT, SqliteMembershipStore } from './sqlite-store.ts';
import type { Membership } from './store.ts';

const membership = (audienceId: string, i: number, status: Membership['status'] = 'realized'): Membership => ({
  audienceId,
  profileId: `p${String(i).padStart(5, '0')}`,
  status,
  lastQualificationTime: 1000,
  updatedAt: status === 'realized' ? 1000 : 2000,
});

function withStore(run: (store: SqliteMembershipStore, path: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-bulk-'));
    const path = join(dir, 'meridian.db');
    const gate = new WriteGate();
    const db = openSqlite(path, 'normal', 1000, undefined, gate);
    const store = new SqliteMembershipStore(db, new MembershipBulkWriter({ databasePath: path, durability: 'normal', writeGate: gate.cells }));
    try {
      await run(store, path);
    } finally {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'large puts are written by the bulk writer thread, in the order they were made, and read back on the main thread',
  withStore(async (store, path) => {
    const first = Array.from({ length: BULK_PUT * 2 }, (_, i) => membership('a1', i));
    // The second put changes some of the first one's profiles: made later, it must land later.
    const second = Array.from({ length: BULK_PUT }, (_, i) => membership('a1', i * 2, 'exited'));
    const small = [membership('a2', 1)];
    await Promise.all([store.put('sbx1', first), store.put('sbx1', second), store.put('sbx1', small)]);
    assert.equal((await store.members('sbx1', 'a1', { limit: 10_000 })).length, BULK_PUT);
    assert.equal((await store.members('sbx1', 'a1', { limit: 10_000, statuses: ['exited'] })).length, BULK_PUT);
    assert.deepEqual(
      (await store.forProfile('sbx1', 'p00001')).map((m) => `${m.audienceId}:${m.status}`).sort(),
      ['a1:realized', 'a2:realized'],
    );
    // Another connection sees them: they were committed, not held in a transaction.
    const reader = openSqlite(path);
    assert.equal(reader.prepare('SELECT count(*) FROM profile_memberships').pluck().get(), BULK_PUT * 2);
    reader.close();
  }),
);

test(
  'a bulk put naming a bad audience id is refused before anything is written; the writer goes on',
  withStore(async (store) => {
    const bad = [...Array.from({ length: BULK_PUT }, (_, i) => membership('a1', i)), membership('a"1', 5)];
    await assert.rejects(store.put('sbx1', bad), /quote, backslash or control character/);
    assert.deepEqual(await store.members('sbx1', 'a1', { limit: 1 }), []);
    await store.put('sbx1', Array.from({ length: BULK_PUT }, (_, i) => membership('a1', i)));
    assert.equal((await store.members('sbx1', 'a1', { limit: 10_000 })).length, BULK_PUT);
  }),
);

test('a closed bulk writer refuses writes', async () => {
  const writer = new MembershipBulkWriter({ databasePath: join(tmpdir(), 'never-opened.db'), durability: 'normal' });
  await writer.close();
  await assert.rejects(writer.write('sbx1', ['p1', '{}']), /closed/);
});
