import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeSlice } from './time-slice.ts';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('a long pass lets waiting work run between its slices; a short one keeps going', async () => {
  const order: string[] = [];
  const slice = new TimeSlice(2);
  setImmediate(() => order.push('request'));
  for (let i = 0; i < 3; i++) {
    await slice.yieldIfSpent();
    order.push(`person ${i}`);
    busy(3);
  }
  // The request runs before the second person at the latest (before the first too, when this
  // machine stalled for the whole budget between creating the slice and the first check).
  assert.deepEqual(order.filter((o) => o !== 'request'), ['person 0', 'person 1', 'person 2']);
  assert.ok(order.indexOf('request') < order.indexOf('person 1'), order.join(', '));

  const quick: string[] = [];
  const roomy = new TimeSlice(10_000);
  setImmediate(() => quick.push('request'));
  for (let i = 0; i < 3; i++) {
    await roomy.yieldIfSpent();
    quick.push(`person ${i}`);
  }
  assert.deepEqual(quick, ['person 0', 'person 1', 'person 2'], 'within its budget a pass never waits');
});
