/**
 * A membership batch keeps every membership it is given, past its first capacity, makes the same
 * memberships each time it is asked, refuses a code it was not given, and as columns for the bulk
 * writer's thread gives the very rows its memberships give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MembershipBatch } from './membership-batch.ts';
import { profileRowsOf, profileRowsOfColumns } from './sqlite-store.ts';

const now = 1_750_258_800_000;

test('a batch holds its memberships as columns and makes memberships and changes from them', () => {
  const batch = new MembershipBatch(['aud_a', 'aud_b'], ['p0', 'p1', 'p2'], now);
  const n = 20_000; // past the first capacity
  for (let i = 0; i < n; i++) batch.push(i % 2, i % 3, i % 3, now - i);
  assert.equal(batch.length, n);
  const all = batch.memberships();
  assert.equal(all.length, n);
  assert.deepEqual(all[0], { audienceId: 'aud_a', profileId: 'p0', status: 'realized', lastQualificationTime: now, updatedAt: now });
  assert.deepEqual(all[n - 1], { audienceId: 'aud_b', profileId: 'p1', status: 'existing', lastQualificationTime: now - (n - 1), updatedAt: now });
  assert.deepEqual(all[5], { audienceId: 'aud_b', profileId: 'p2', status: 'exited', lastQualificationTime: now - 5, updatedAt: now });
  assert.deepEqual(batch.memberships(), all, 'asked again, the same memberships');
  const changes = batch.changes();
  assert.deepEqual(changes, all.filter((m) => m.status !== 'existing'));
  assert.ok(changes.length < n && changes.length > 0);
  const asked: string[] = [];
  const ofB = batch.changes((audienceId) => {
    asked.push(audienceId);
    return audienceId === 'aud_b';
  });
  assert.deepEqual(ofB, changes.filter((m) => m.audienceId === 'aud_b'), 'only the audiences kept');
  assert.deepEqual(asked, ['aud_a', 'aud_b'], 'asked once per audience');
  assert.throws(() => batch.push(2, 0, 0, now), /no code/);
  assert.throws(() => batch.push(0, 3, 0, now), /no code/);
  assert.throws(() => batch.push(0, 0, 3, now), /no code/);
  assert.equal(batch.length, n, 'a refused membership is not kept');
});

test("a batch's columns give the rows its memberships give", () => {
  const profileIds = Array.from({ length: 50 }, (_, k) => `prs_${String(k).padStart(3, '0')}`);
  const audienceIds = ['aud_a', 'aud_b', 'aud_c'];
  // As a job sends them: ordered by profile key, then audience; every status; times before now.
  const sorted = new MembershipBatch(audienceIds, profileIds, now);
  for (let key = 0; key < 50; key += 3) for (let a = 0; a < 3; a++) if ((key + a) % 4 !== 0) sorted.push(a, key, (key * 7 + a) % 3, now - ((key + a) % 3) * 1_000);
  // Out of order, with a profile met again after others and an audience given twice (the last wins).
  const scattered = new MembershipBatch(audienceIds, profileIds, now);
  for (const [a, key, status] of [[0, 9, 0], [1, 4, 2], [2, 9, 1], [0, 4, 0], [1, 30, 0], [0, 9, 2], [2, 2, 0]] as const) scattered.push(a, key, status, now - key);
  for (const batch of [sorted, scattered]) {
    const columns = batch.columns();
    assert.equal(columns.profiles.length, batch.length);
    const rows = (flat: readonly string[]) => {
      // A profile's rows merge as the write merges them (json_patch: later entries replace earlier ones).
      const merged = new Map<string, Record<string, unknown>>();
      for (let i = 0; i < flat.length; i += 2) merged.set(flat[i], { ...merged.get(flat[i]), ...(JSON.parse(flat[i + 1]) as Record<string, unknown>) });
      return merged;
    };
    assert.deepEqual(rows(profileRowsOfColumns(columns)), rows(profileRowsOf(batch.memberships())));
  }
  const sortedProfiles = new Set(sorted.memberships().map((m) => m.profileId));
  assert.equal(profileRowsOfColumns(sorted.columns()).length / 2, sortedProfiles.size, 'in key order, one row per profile');
});
