/**
 * Profile keys are dense, follow id order within each call after the keys given before, never key
 * an id twice, and read back as the ids by key across parts, separator or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPqlDatabase } from '../sql/test-support.ts';
import { PROFILE_KEYS_TABLE, keyProfiles, profileIdsByKey } from './profile-keys.ts';

test('keys are dense, in id order per call, each id keyed once; ids read back by key across parts', async () => {
  const db = await openPqlDatabase();
  try {
    const c = db.connection;
    // 20,000 ids over several parts of 8,192, inserted out of order and some twice.
    await c.run(`CREATE TABLE first AS SELECT 'prs_' || lpad((i * 7919 % 20000)::VARCHAR, 6, '0') AS profile_id FROM range(20000) t(i)`);
    await c.run(`INSERT INTO first SELECT profile_id FROM first LIMIT 50`);
    await c.run(`CREATE TABLE later (profile_id VARCHAR)`);
    await c.run(`INSERT INTO later VALUES ('prs_000003'), ('gone-b'), ('gone-a'), ('with' || chr(30) || 'separator')`);
    await keyProfiles(c, ['first']);
    await keyProfiles(c, ['later', 'first']);
    const ids = await profileIdsByKey(c);
    const expected = [
      ...Array.from({ length: 20000 }, (_, i) => `prs_${String(i).padStart(6, '0')}`),
      'gone-a',
      'gone-b',
      'with\u001eseparator',
    ];
    assert.deepEqual(ids, expected);
    const keys = await c.runAndReadAll(`SELECT count(*), count(DISTINCT profile_key), min(profile_key), max(profile_key) FROM ${PROFILE_KEYS_TABLE}`);
    assert.deepEqual(keys.getRows()[0].map(Number), [20003, 20003, 0, 20002]);
  } finally {
    db.close();
  }
});

test('no profiles: no keys, no ids', async () => {
  const db = await openPqlDatabase();
  try {
    await db.connection.run(`CREATE TABLE none (profile_id VARCHAR)`);
    await keyProfiles(db.connection, ['none']);
    assert.deepEqual(await profileIdsByKey(db.connection), []);
  } finally {
    db.close();
  }
});
