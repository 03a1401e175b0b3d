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
