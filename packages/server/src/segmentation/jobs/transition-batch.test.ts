/**
 * A transition batch keeps every transition it is given, past its first capacity, makes the same
 * memberships each time it is asked, and refuses a code the job did not give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransitionBatch } from './transition-batch.ts';

test('a batch holds its transitions as columns and makes memberships and changes from them', () => {
  const now = 1_750_258_800_000;
  const batch = new TransitionBatch(['aud_a', 'aud_b'], ['p0', 'p1', 'p2'], now);
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
  assert.throws(() => batch.push(2, 0, 0, now), /no code/);
  assert.throws(() => batch.push(0, 3, 0, now), /no code/);
  assert.throws(() => batch.push(0, 0, 3, now), /no code/);
  assert.equal(batch.length, n, 'a refused transition is not kept');
});
