import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../storage/sqlite.ts';
import { ManualClock } from './clock.ts';
import { SqliteDueStore } from './sqlite-timing-store.ts';
import { MembershipTimers } from './timers.ts';

const entry = (profileId: string, dueAt: number) => ({ profileId, audienceId: 'a', dueAt, identityKey: `key-${profileId}` });

test('one timer serves every due entry in time order; a failed re-evaluation is retried later, not in a loop', async () => {
  const due = new SqliteDueStore(openSqlite(':memory:'));
  await due.set('s1', [entry('p1', 5_000), entry('p2', 3_000)]);
  await due.set('s2', [entry('p3', 4_000)]);
  const clock = new ManualClock(1_000);
  const calls: string[] = [];
  let s2Failures = 1;
  const timers = new MembershipTimers(
    due,
    async (sandboxId, keys, at) => {
      calls.push(`${sandboxId}:${keys.join(',')}@${at}`);
      if (sandboxId === 's2' && s2Failures-- > 0) throw new Error('store unavailable');
    },
    clock,
    () => undefined,
  );
  await timers.start();
  assert.equal(clock.pending(), 1, 'one timer, armed for the earliest entry');

  await clock.advance(2_000);
  await timers.idle();
  assert.deepEqual(calls, ['s1:key-p2@3000']);
  await clock.advance(1_000);
  await timers.idle();
  assert.deepEqual(calls.slice(1), ['s2:key-p3@4000'], 'fails once');
  assert.equal(await due.earliest(), 5_000, 'the failed entry moved a minute on, p1 is next');
  await clock.advance(1_000);
  await timers.idle();
  assert.deepEqual(calls.slice(2), ['s1:key-p1@5000']);
  await clock.advance(60_000);
  await timers.idle();
  assert.deepEqual(calls.slice(3), ['s2:key-p3@64000'], 'retried after a minute, and succeeded');
  assert.equal(await due.earliest(), undefined);
  assert.equal(clock.pending(), 0);
  await timers.stop();
});

test('entries overdue at start fire at once; a re-evaluation that sets a new due time keeps the entry', async () => {
  const due = new SqliteDueStore(openSqlite(':memory:'));
  await due.set('s', [entry('p', 1_000)]);
  const clock = new ManualClock(10_000);
  const timers = new MembershipTimers(due, async (sandboxId, _keys, at) => due.set(sandboxId, [entry('p', at + 500)]), clock);
  await timers.start();
  await clock.advance(0);
  await timers.idle();
  assert.deepEqual([...(await due.forProfile('s', 'p'))], [['a', 10_500]], 'fired at start, rescheduled by the evaluation');
  await timers.stop();
  assert.equal(clock.pending(), 0, 'stopped: nothing armed');
});
