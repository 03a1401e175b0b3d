import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { bulkLoadOf, EventLoopGauge, FollowerPace, loadOf, mainThreadRunQueue, pressureOf, SATURATED } from './load-gauge.ts';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('pressure: a busy loop, or one kept off the CPU a tenth of the time, is saturated', () => {
  assert.ok(pressureOf(0.95, 0) >= SATURATED);
  assert.ok(pressureOf(0.3, 0.12) >= SATURATED, 'a quarter idle, but waiting for a core 12% of the time');
  assert.ok(pressureOf(0.3, 0.02) < SATURATED);
  assert.equal(pressureOf(0.5, 0.5), 1);
  if (process.platform === 'linux') {
    const sample = mainThreadRunQueue();
    assert.ok(sample && sample.waitNs >= 0 && sample.at > 0, 'Linux tells the main thread its run-queue time');
  }
});

test('ingestion off the event loop (a batch loading) reads as saturated and as a bulk load while it lasts, however idle the loop is', async () => {
  const gauge = new EventLoopGauge(60_000, () => ({ waitNs: 0, at: performance.now() * 1e6 }));
  try {
    let loading = true;
    gauge.addBulkLoad(() => loading);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(gauge.sample() >= SATURATED && loadOf(gauge.cell) >= SATURATED, 'an idle loop, a batch loading: saturated');
    assert.equal(bulkLoadOf(gauge.cell), true);
    loading = false;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(gauge.sample() < SATURATED, 'the batch done: the idle loop reads idle again');
    assert.equal(bulkLoadOf(gauge.cell), false);
  } finally {
    gauge.stop();
  }
});

test('the gauge reports a busy event loop as saturated and an idle one as not, to any thread', async () => {
  // Run-queue time depends on what else the machine runs: held at zero here.
  const gauge = new EventLoopGauge(60_000, () => ({ waitNs: 0, at: performance.now() * 1e6 }));
  try {
    busy(50);
    assert.ok(gauge.sample() >= SATURATED, 'a loop that never waited is saturated');
    assert.ok(loadOf(gauge.cell) >= SATURATED);
    // Waiting is idle time however busy the machine is; the margin covers being descheduled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(gauge.sample() < SATURATED, 'a loop that waited for a timer is not');
    // A worker reads the same cell without a message.
    busy(30);
    gauge.sample();
    const seen = await new Promise<number>((resolve, reject) => {
      const worker = new Worker(`const { workerData, parentPort } = require('node:worker_threads'); parentPort.postMessage(Atomics.load(new Int32Array(workerData), 0));`, {
        eval: true,
        workerData: gauge.cell,
      });
      worker.once('message', (value: number) => {
        resolve(value / 1000);
        void worker.terminate();
      });
      worker.once('error', reject);
    });
    assert.equal(seen, loadOf(gauge.cell));
  } finally {
    gauge.stop();
  }
  assert.equal(loadOf(undefined), 0, 'without a gauge a follower never rests');
  assert.equal(bulkLoadOf(undefined), false);
});

test('a follower behind rests three times its last slice while the loop is saturated, and not when someone waits for it or it keeps up', async () => {
  let load = 0.95;
  let urgent = false;
  const rests: number[] = [];
  const pace = new FollowerPace(() => load, () => urgent, () => false, async (ms) => void rests.push(ms));
  await pace.beforeWork(); // the first slice has no work behind it
  assert.deepEqual(rests, []);
  busy(4);
  await pace.beforeWork();
  assert.equal(rests.length, 1);
  assert.ok(rests[0] >= 12 && rests[0] <= 25, `rested ${rests[0]} ms after 4 ms of work`);
  busy(4);
  urgent = true;
  await pace.beforeWork();
  assert.equal(rests.length, 1, 'a catch-up someone waits for runs flat out');
  urgent = false;
  busy(4);
  await pace.beforeWork(false);
  assert.equal(rests.length, 1, 'a follower keeping up (its last slice was not full) never rests: a rest would only delay what follows it');
  load = 0.5;
  busy(4);
  await pace.beforeWork();
  assert.equal(rests.length, 1, 'a loop with idle time left gets no rest from the follower');
  load = 0.99;
  busy(80);
  await pace.beforeWork();
  assert.equal(rests[1], 25, 'a rest never exceeds 25 ms');
  pace.idle();
  await pace.beforeWork();
  assert.equal(rests.length, 2, 'after going idle the next slice has no work behind it');
});

test('while a bulk load runs, a follower behind rests nine times its last slice, up to 100 ms', async () => {
  let bulk = true;
  const rests: number[] = [];
  const pace = new FollowerPace(() => 1, () => false, () => bulk, async (ms) => void rests.push(ms));
  await pace.beforeWork();
  busy(4);
  await pace.beforeWork();
  assert.ok(rests[0] >= 36 && rests[0] <= 100, `rested ${rests[0]} ms after 4 ms of work`);
  busy(20);
  await pace.beforeWork();
  assert.equal(rests[1], 100, 'a rest never exceeds 100 ms');
  bulk = false;
  busy(20);
  await pace.beforeWork();
  assert.equal(rests[2], 25, 'the load done, a saturated loop gets the usual rests back');
  bulk = true;
  busy(4);
  await pace.beforeWork(false);
  assert.equal(rests.length, 3, 'a follower keeping up never rests, bulk load or not');
});
