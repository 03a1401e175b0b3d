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

test("members of one audience page in profile order past profiles outside it; byProfile reads every audience's in one pass", async () => {
  const store = new SqliteMembershipStore(openSqlite(':memory:'));
  const id = (i: number) => `p${String(i).padStart(4, '0')}`;
  // 'sparse' holds every 97th profile, 'dense' all of them; one profile has left 'sparse'.
  const rows = Array.from({ length: 1000 }, (_, i) => [row('dense', id(i)), ...(i % 97 === 0 ? [row('sparse', id(i), i === 97 ? 'exited' : 'existing')] : [])]).flat();
  await store.put('sbx1', rows);
  await store.put('sbx2', [row('sparse', id(5))]);

  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.members('sbx1', 'sparse', { limit: 4, ...(after ? { afterProfileId: after } : {}) });
    if (page.length === 0) break;
    pages.push(page.map((m) => m.profileId));
    after = page[page.length - 1].profileId;
  }
  assert.deepEqual(pages, [[id(0), id(194), id(291), id(388)], [id(485), id(582), id(679), id(776)], [id(873), id(970)]]);
  assert.deepEqual((await store.members('sbx1', 'sparse', { limit: 10, statuses: ['exited'] })).map((m) => [m.profileId, m.status]), [[id(97), 'exited']]);
  assert.deepEqual(await store.members('sbx1', 'nobody', { limit: 10 }), []);

  const first = await store.byProfile('sbx1', { limit: 98 });
  assert.equal(new Set(first.map((m) => m.profileId)).size, 98);
  assert.equal(first.length, 98 + 2, 'profiles 0 and 97 hold both audiences');
  const rest = await store.byProfile('sbx1', { limit: 10_000, afterProfileId: first[first.length - 1].profileId });
  assert.equal(first.length + rest.length, rows.length);
  assert.deepEqual(await store.byProfile('sbx2', { limit: 10 }), [row('sparse', id(5))]);
});

test('memberships stored one row per (audience, profile) by an earlier version move to one row per profile', async () => {
  const db = openSqlite(':memory:');
  db.exec(`CREATE TABLE schema_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL);
    INSERT INTO schema_migrations VALUES ('memberships', 1);
    CREATE TABLE audience_memberships (sandbox_id TEXT NOT NULL, audience_id TEXT NOT NULL, profile_id TEXT NOT NULL,
      status TEXT NOT NULL, last_qualification_time INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (sandbox_id, audience_id, profile_id)) WITHOUT ROWID;
    INSERT INTO audience_memberships VALUES ('sbx1', 'a1', 'p1', 'realized', 1000, 2000), ('sbx1', 'a2', 'p1', 'exited', 500, 2500),
      ('sbx1', 'a1', 'p2', 'existing', 700, 2000), ('sbx2', 'a1', 'p1', 'realized', 900, 900);`);
  const store = new SqliteMembershipStore(db);
  assert.deepEqual((await store.forProfile('sbx1', 'p1')).sort((a, b) => a.audienceId.localeCompare(b.audienceId)), [
    { profileId: 'p1', audienceId: 'a1', status: 'realized', lastQualificationTime: 1000, updatedAt: 2000 },
    { profileId: 'p1', audienceId: 'a2', status: 'exited', lastQualificationTime: 500, updatedAt: 2500 },
  ]);
  assert.deepEqual((await store.members('sbx1', 'a1', { limit: 10 })).map((m) => m.profileId), ['p1', 'p2']);
  assert.deepEqual(await store.get('sbx2', 'p1', 'a1'), { profileId: 'p1', audienceId: 'a1', status: 'realized', lastQualificationTime: 900, updatedAt: 900 });
  assert.equal(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'audience_memberships'`).pluck().get(), 0);
});

test('deleting the last audience of a profile leaves no row behind', async () => {
  const db = openSqlite(':memory:');
  const store = new SqliteMembershipStore(db);
  await store.put('sbx1', [row('a1', 'p1'), row('a1', 'p2'), row('a2', 'p2')]);
  await store.deleteAudience('sbx1', 'a1');
  assert.deepEqual(db.prepare('SELECT profile_id FROM profile_memberships').pluck().all(), ['p2']);
  assert.deepEqual((await store.forProfile('sbx1', 'p2')).map((m) => m.audienceId), ['a2']);
  await assert.rejects(store.deleteAudience('sbx1', 'a"1'), /quote, backslash or control character/);
});

test('one put naming an audience twice for a profile keeps the last entry; an id JSON would escape is refused, others read back whole', async () => {
  const store = new SqliteMembershipStore(openSqlite(':memory:'));
  await store.put('sbx1', [row('a1', 'p1'), row('a2', 'p1'), { ...row('a1', 'p1', 'exited'), updatedAt: 5000 }, row('a.b é', 'p1', 'existing')]);
  assert.deepEqual((await store.forProfile('sbx1', 'p1')).sort((a, b) => (a.audienceId < b.audienceId ? -1 : 1)), [
    { profileId: 'p1', audienceId: 'a.b é', status: 'existing', lastQualificationTime: 1000, updatedAt: 2000 },
    { profileId: 'p1', audienceId: 'a1', status: 'exited', lastQualificationTime: 1000, updatedAt: 5000 },
    { profileId: 'p1', audienceId: 'a2', status: 'realized', lastQualificationTime: 1000, updatedAt: 2000 },
  ]);
  assert.deepEqual((await store.members('sbx1', 'a.b é', { limit: 10 })).map((m) => m.profileId), ['p1']);
  for (const id of ['a"1', 'a\\1', 'a\u00011']) {
    await assert.rejects(store.put('sbx1', [row(id, 'p2')]), /quote, backslash or control character/);
    await assert.rejects(store.members('sbx1', id, { limit: 1 }), /quote, backslash or control character/);
  }
  assert.deepEqual(await store.forProfile('sbx1', 'p2'), [], 'nothing of a refused put is stored');
});

test('entries are compact: a realized entry updated when it qualified is its time alone, others carry a status code', async () => {
  const db = openSqlite(':memory:');
  const store = new SqliteMembershipStore(db);
  await store.put('sbx1', [{ ...row('a1', 'p1'), updatedAt: 1000 }, row('a2', 'p1', 'exited'), row('a3', 'p1'), { ...row('a4', 'p1', 'existing'), updatedAt: 1000 }]);
  assert.equal(db.prepare(`SELECT memberships FROM profile_memberships WHERE profile_id = 'p1'`).pluck().get(), '{"a1":1000,"a2":[2,1000,2000],"a3":[0,1000,2000],"a4":[1,1000]}');
  assert.deepEqual(await store.get('sbx1', 'p1', 'a1'), { profileId: 'p1', audienceId: 'a1', status: 'realized', lastQualificationTime: 1000, updatedAt: 1000 });
  assert.deepEqual(await store.get('sbx1', 'p1', 'a4'), { profileId: 'p1', audienceId: 'a4', status: 'existing', lastQualificationTime: 1000, updatedAt: 1000 });
  assert.deepEqual((await store.members('sbx1', 'a1', { limit: 5 }))[0]?.updatedAt, 1000);
  // Statuses filter both forms of an entry; a profile without the entry is never listed.
  await store.put('sbx1', [{ ...row('a1', 'p2', 'existing'), updatedAt: 1000 }, { ...row('a1', 'p3', 'exited') }, row('zz', 'p4')]);
  const members = async (statuses?: Membership['status'][]) => (await store.members('sbx1', 'a1', { limit: 10, ...(statuses ? { statuses } : {}) })).map((m) => `${m.profileId}:${m.status}`);
  assert.deepEqual(await members(), ['p1:realized', 'p2:existing']);
  assert.deepEqual(await members(['realized']), ['p1:realized']);
  assert.deepEqual(await members(['exited']), ['p3:exited']);
  assert.deepEqual(await members(['realized', 'existing', 'exited']), ['p1:realized', 'p2:existing', 'p3:exited']);
});

test('entries written with their status spelled out by an earlier version become compact, unchanged in meaning', async () => {
  const db = openSqlite(':memory:');
  db.exec(`CREATE TABLE schema_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL);
    INSERT INTO schema_migrations VALUES ('memberships', 2);
    CREATE TABLE profile_memberships (sandbox_id TEXT NOT NULL, profile_id TEXT NOT NULL, memberships TEXT NOT NULL,
      PRIMARY KEY (sandbox_id, profile_id)) WITHOUT ROWID;
    INSERT INTO profile_memberships VALUES
      ('sbx1', 'p1', '{"a1":["realized",1000],"a2":["realized",1000,2000],"a3":["existing",1000,1000],"a4":["exited",500,2500]}'),
      ('sbx2', 'p1', '{"a1":["existing",900]}');`);
  const store = new SqliteMembershipStore(db);
  assert.equal(db.prepare(`SELECT memberships FROM profile_memberships WHERE sandbox_id = 'sbx1'`).pluck().get(), '{"a1":1000,"a2":[0,1000,2000],"a3":[1,1000],"a4":[2,500,2500]}');
  assert.deepEqual((await store.forProfile('sbx1', 'p1')).sort((a, b) => a.audienceId.localeCompare(b.audienceId)), [
    { profileId: 'p1', audienceId: 'a1', status: 'realized', lastQualificationTime: 1000, updatedAt: 1000 },
    { profileId: 'p1', audienceId: 'a2', status: 'realized', lastQualificationTime: 1000, updatedAt: 2000 },
    { profileId: 'p1', audienceId: 'a3', status: 'existing', lastQualificationTime: 1000, updatedAt: 1000 },
    { profileId: 'p1', audienceId: 'a4', status: 'exited', lastQualificationTime: 500, updatedAt: 2500 },
  ]);
  assert.deepEqual(await store.forProfile('sbx2', 'p1'), [{ profileId: 'p1', audienceId: 'a1', status: 'existing', lastQualificationTime: 900, updatedAt: 900 }]);
});
