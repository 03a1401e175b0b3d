import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectorActivity } from './projector-worker-protocol.ts';

test('nudge cells: an idle thread is woken once; a busy one is told by the count when its pass ends', () => {
  const main = new ProjectorActivity();
  const thread = new ProjectorActivity(main.buffer);
  assert.equal(main.nudged(), true, 'idle at start: the first nudge wakes it');
  assert.equal(main.nudged(), false, 'already woken: no second message');

  let seen = thread.passStarts();
  assert.equal(main.nudged(), false, 'busy: counted, not posted');
  assert.equal(thread.passEnded(seen), true, 'the pass ends, sees the count moved, runs again');
  seen = thread.passStarts();
  assert.equal(thread.passEnded(seen), false, 'nothing new: it goes idle');
  assert.equal(main.nudged(), true, 'and the next nudge wakes it');

  thread.idle();
  assert.equal(main.nudged(), true, 'after a failed pass or a dead thread the next nudge wakes it');
});
