import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey } from '../../identity/graph.ts';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteDueStore, SqliteIdentityOwnerStore } from './sqlite-timing-store.ts';

test('due times of many profiles at once are those of each profile, within its sandbox; the last change of a pair wins', async () => {
  const store = new SqliteDueStore(openSqlite(':memory:'));
  const key = identityKey('ECID', '1');
  await store.set('s1', [
    { profileId: 'p1', audienceId: 'a', dueAt: 10, identityKey: key },
    { profileId: 'p1', audienceId: 'b', dueAt: 20, identityKey: key },
    { profileId: 'p2', audienceId: 'a', dueAt: 30, identityKey: key },
    { profileId: 'p2', audienceId: 'a', dueAt: undefined, identityKey: key },
    { profileId: 'p3', audienceId: 'a', dueAt: undefined, identityKey: key },
    { profileId: 'p3', audienceId: 'a', dueAt: 40, identityKey: key },
  ]);
  await store.set('s2', [{ profileId: 'p1', audienceId: 'z', dueAt: 99, identityKey: key }]);
  const many = await store.forProfiles('s1', ['p1', 'p2', 'p3', 'nobody']);
  assert.deepEqual([...many].map(([p, dues]) => [p, [...dues].sort()]).sort(), [['p1', [['a', 10], ['b', 20]]], ['p3', [['a', 40]]]]);
  for (const p of ['p1', 'p2', 'p3']) assert.deepEqual(many.get(p) ?? new Map(), await store.forProfile('s1', p));
  assert.deepEqual([...(await store.forProfiles('s1', ['p1'])).get('p1')!], [...(await store.forProfile('s1', 'p1'))]);
  assert.deepEqual(await store.forProfiles('s1', []), new Map());
});

test('owners and owned identities of many keys and profiles at once agree with the one-by-one reads', async () => {
  const store = new SqliteIdentityOwnerStore(openSqlite(':memory:'));
  const keys = Array.from({ length: 20 }, (_, i) => identityKey('ECID', String(i)));
  await store.assign('s1', [
    { profileId: 'p1', keys: keys.slice(0, 12) },
    { profileId: 'p2', keys: keys.slice(10, 15) }, // 10 and 11 move to p2: the last assignment wins
  ]);
  await store.assign('s2', [{ profileId: 'p1', keys: keys.slice(15) }]);
  const owners = await store.ownersOf('s1', keys); // more than a handful: one IN-list read
  const alone = new Map<string, string>();
  for (const k of keys) for (const [key, owner] of await store.ownersOf('s1', [k])) alone.set(key, owner);
  assert.deepEqual(owners, alone);
  assert.equal(owners.get(keys[10]), 'p2');
  assert.equal(owners.has(keys[16]), false, 'another sandbox');
  const owned = await store.keysOfProfiles('s1', ['p1', 'p2', 'p9']);
  assert.deepEqual(owned.get('p1')?.sort(), (await store.keysOf('s1', 'p1')).sort());
  assert.deepEqual(owned.get('p2')?.sort(), (await store.keysOf('s1', 'p2')).sort());
  assert.equal(owned.get('p1')?.length, 10);
  assert.equal(owned.has('p9'), false);
});
