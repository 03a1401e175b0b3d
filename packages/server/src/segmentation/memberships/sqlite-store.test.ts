import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteMembershipStore } from './sqlite-store.ts';
import type { Membership } from './store.ts';

const row = (audienceId: string, profileId: string, status: Membership['status'] = 'realized'): Membership => ({ audienceId, profileId, status, lastQualificationTime: 1000, updatedAt: 2000 });

test("a profile's memberships are found across every audience of its sandbox, and only there", async () => {
  const store = new SqliteMembershipStore(openSqlite(':memory:'));
  // More than one multi-row statement, so both the batched and the single-row paths run.
  const many = Array.from({ length: 600 }, (_, i) => row('a1', `p${String(i).padStart(4, '0')}`));
  await store.put('sbx1', [...many, row('a2', 'p0001', 'existing'), row('a3', 'p0001', 'exited')]);
  await store.put('sbx2', [row('a1', 'p0001'), row('b9', 'p0001')]);

  const mine = await store.forProfile('sbx1', 'p0001');
  assert.deepEqual(mine.map((m) => [m.audienceId, m.status]).sort(), [['a1', 'realized'], ['a2', 'existing'], ['a3', 'exited']]);
  assert.deepEqual((await store.forProfile('sbx2', 'p0001')).map((m) => m.audienceId).sort(), ['a1', 'b9']);
  assert.deepEqual(await store.forProfile('sbx3', 'p0001'), []);
  assert.equal((await store.members('sbx1', 'a1', { limit: 1000 })).length, 600);
  const several = await store.forProfiles('sbx1', ['p0001', 'p0002', 'p9999']);
  assert.deepEqual(several.map((m) => `${m.profileId}/${m.audienceId}`).sort(), ['p0001/a1', 'p0001/a2', 'p0001/a3', 'p0002/a1']);
  assert.deepEqual(await store.forProfiles('sbx3', ['p0001']), []);
  assert.deepEqual(await store.forProfiles('sbx1', []), []);

  await store.deleteProfile('sbx1', 'p0001');
  assert.deepEqual(await store.forProfile('sbx1', 'p0001'), []);
  assert.equal((await store.forProfile('sbx2', 'p0001')).length, 2, 'another sandbox keeps its rows');
  assert.equal((await store.members('sbx1', 'a1', { limit: 1000 })).length, 599);
});

test('an upsert replaces status and times; deleting an audience or a sandbox forgets it for profile lookups', async () => {
  const store = new SqliteMembershipStore(openSqlite(':memory:'));
  await store.put('sbx1', [row('a1', 'p1'), row('a2', 'p1')]);
  await store.put('sbx1', [{ ...row('a1', 'p1', 'exited'), updatedAt: 3000 }]);
  assert.deepEqual(await store.get('sbx1', 'p1', 'a1'), { audienceId: 'a1', profileId: 'p1', status: 'exited', lastQualificationTime: 1000, updatedAt: 3000 });

  await store.deleteAudience('sbx1', 'a2');
  assert.deepEqual((await store.forProfile('sbx1', 'p1')).map((m) => m.audienceId), ['a1']);
  // An audience written again after deletion is found again.
  await store.put('sbx1', [row('a2', 'p1')]);
  assert.deepEqual((await store.forProfile('sbx1', 'p1')).map((m) => m.audienceId).sort(), ['a1', 'a2']);

  await store.put('sbx2', [row('a1', 'p1')]);
  await store.deleteSandbox('sbx1');
  assert.deepEqual(await store.forProfile('sbx1', 'p1'), []);
  assert.equal((await store.forProfile('sbx2', 'p1')).length, 1);
});
