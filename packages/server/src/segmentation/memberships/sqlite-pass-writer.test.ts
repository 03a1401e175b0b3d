import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../storage/sqlite.ts';
import { sqlitePassWriter } from './sqlite-pass-writer.ts';
import { SqliteMembershipStore } from './sqlite-store.ts';
import { SqliteDueStore, SqliteIdentityOwnerStore } from './sqlite-timing-store.ts';

function stores() {
  const db = openSqlite(':memory:');
  return { db, memberships: new SqliteMembershipStore(db), dueTimes: new SqliteDueStore(db), owners: new SqliteIdentityOwnerStore(db) };
}

const writes = {
  memberships: [{ profileId: 'p1', audienceId: 'a1', status: 'realized' as const, lastQualificationTime: 1000, updatedAt: 1000 }],
  dueChanges: [{ profileId: 'p1', audienceId: 'a1', dueAt: 5000, identityKey: 'ECID:1' }],
  assignments: [{ profileId: 'p1', keys: ['ECID:1', 'Email:a@example.test'] }],
  changes: [] as const,
};

test('a pass writes its memberships, due times and owners', async () => {
  const { db, memberships, dueTimes, owners } = stores();
  await sqlitePassWriter(db, { memberships, dueTimes, owners })('s', writes);
  assert.deepEqual(await memberships.forProfile('s', 'p1'), writes.memberships);
  assert.deepEqual([...(await dueTimes.forProfile('s', 'p1'))], [['a1', 5000]]);
  assert.deepEqual((await owners.keysOf('s', 'p1')).sort(), ['ECID:1', 'Email:a@example.test']);
  assert.equal(db.inTransaction, false);
});

test('the three writes are one transaction: when one fails, none of the pass is kept', async () => {
  const { db, memberships, dueTimes } = stores();
  const failingOwners = {
    assignNow() {
      throw new Error('disk full');
    },
  };
  await assert.rejects(sqlitePassWriter(db, { memberships, dueTimes, owners: failingOwners })('s', writes), /disk full/);
  assert.deepEqual(await memberships.forProfile('s', 'p1'), []);
  assert.equal((await dueTimes.forProfile('s', 'p1')).size, 0);
  assert.equal(db.inTransaction, false);
});

test("writes alongside a pass (the activation outbox's) commit with it or roll back with it, and are told which", async () => {
  const { db, memberships, dueTimes, owners } = stores();
  db.exec('CREATE TABLE outbox (profile_id TEXT, status TEXT)');
  const insert = db.prepare('INSERT INTO outbox VALUES (?, ?)');
  const told: string[] = [];
  const alongside = {
    write(_sandboxId: string, changes: readonly { profileId: string; status: string }[]) {
      assert.equal(db.inTransaction, true, 'inside the pass transaction');
      for (const c of changes) insert.run(c.profileId, c.status);
    },
    committed: () => void told.push('committed'),
    failed: () => void told.push('failed'),
  };
  const change = writes.memberships[0];
  await sqlitePassWriter(db, { memberships, dueTimes, owners, alongside })('s', { ...writes, changes: [change] });
  assert.deepEqual(db.prepare('SELECT * FROM outbox').all(), [{ profile_id: 'p1', status: 'realized' }]);
  assert.deepEqual(told, ['committed']);

  // A pass that fails after its alongside writes keeps neither its memberships nor their outbox rows.
  const failingOwners = {
    assignNow() {
      throw new Error('disk full');
    },
  };
  const exit = { ...change, profileId: 'p2', status: 'exited' as const };
  await assert.rejects(sqlitePassWriter(db, { memberships, dueTimes, owners: failingOwners, alongside })('s', { ...writes, memberships: [exit], changes: [exit] }), /disk full/);
  assert.deepEqual(await memberships.forProfile('s', 'p2'), []);
  assert.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 1, 'the exit is not in the outbox either');
  assert.deepEqual(told, ['committed', 'failed']);

  // Writes alongside come last: when they fail, the pass is rolled back and told so.
  const failingAlongside = {
    ...alongside,
    write() {
      insert.run('p3', 'realized');
      throw new Error('outbox full');
    },
  };
  const entry = { ...change, profileId: 'p3' };
  await assert.rejects(sqlitePassWriter(db, { memberships, dueTimes, owners, alongside: failingAlongside })('s', { ...writes, memberships: [entry], changes: [entry] }), /outbox full/);
  assert.deepEqual(await memberships.forProfile('s', 'p3'), []);
  assert.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 1);
  assert.deepEqual(told, ['committed', 'failed', 'failed']);
  assert.equal(db.inTransaction, false);
});
