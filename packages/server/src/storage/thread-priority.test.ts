import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { getPriority } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { currentThreadId, FOLLOWER_NICENESS, lowerThreadPoolPriority, lowerThreadPriority, nameThreadSource, threadPoolThreadIds } from './thread-priority.ts';
import { threadNameOf } from '../ingest/batch/worker-spawn.ts';

test('a worker thread lowers its own priority and leaves the process\'s main thread as it was', { skip: process.platform !== 'linux' && 'per-thread priorities are a Linux feature' }, async () => {
  const mainTid = currentThreadId();
  assert.equal(mainTid, process.pid, 'the main thread\'s kernel id is the process id');
  const before = getPriority(process.pid);
  // The worker asks through the same module; it reports its thread id and what the kernel says.
  const source = `
    import(${JSON.stringify(import.meta.resolve('meridian/loader'))}).then(() => import(${JSON.stringify(new URL('./thread-priority.ts', import.meta.url).href)}))
      .then(({ lowerThreadPriority, currentThreadId }) => {
        const lowered = lowerThreadPriority(10);
        require('node:worker_threads').parentPort.postMessage({ lowered, tid: currentThreadId(), nice: require('node:os').getPriority(currentThreadId()) });
      });`;
  const report = await new Promise<{ lowered: boolean; tid: number; nice: number }>((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  assert.equal(report.lowered, true);
  assert.notEqual(report.tid, process.pid);
  assert.ok(report.nice >= 10, `the worker runs at nice ${report.nice}`);
  assert.equal(getPriority(process.pid), before);
  assert.equal(lowerThreadPriority(before), true, 'asking for no lower than it is changes nothing');
});

test('worker threads started from a module carry a short name the kernel shows', { skip: process.platform !== 'linux' && 'thread names through /proc are a Linux feature' }, async () => {
  assert.equal(threadNameOf(new URL('file:///srv/meridian/ingest/record-log-writer-worker.ts')), 'mrd-record-log-');
  assert.equal(threadNameOf(new URL('file:///srv/meridian/lake/flush-worker.js')), 'mrd-flush');
  const source = `${nameThreadSource('mrd-test')}require('node:worker_threads').parentPort.postMessage(require('node:fs').readFileSync('/proc/thread-self/comm', 'utf8').trim());`;
  const name = await new Promise<string>((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    worker.once('message', (message: string) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  assert.equal(name, 'mrd-test');
  assert.notEqual(readFileSync('/proc/thread-self/comm', 'utf8').trim(), 'mrd-test', 'the main thread keeps its name');
});

/** CPU ticks each thread of this process has used so far, by kernel id. */
function threadTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      // Fields after the parenthesized name: state is the 3rd field, utime the 14th, stime the 15th.
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

test(
  "libuv's pool is lowered once for the process, and the lake's DuckDB queries run on it, not on the event loop",
  { skip: process.platform !== 'linux' && 'per-thread priorities are a Linux feature' },
  async () => {
    const before = getPriority(process.pid);
    const pool = await threadPoolThreadIds();
    assert.equal(pool.length, 4, `the default pool has four threads: ${pool.join(', ')}`);
    assert.ok(!pool.includes(process.pid));
    assert.equal(await lowerThreadPoolPriority(FOLLOWER_NICENESS), 4);
    for (const tid of pool) assert.ok(getPriority(tid) >= FOLLOWER_NICENESS, `pool thread ${tid} runs at nice ${getPriority(tid)}`);
    assert.equal(getPriority(process.pid), before, 'the event loop keeps its priority');
    assert.equal(await lowerThreadPoolPriority(FOLLOWER_NICENESS), 4, 'asked again: the same answer, nothing redone');

    // A DuckDB instance as the lake opens it (one thread): the query's CPU goes to a lowered pool thread.
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    try {
      const start = threadTicks();
      await connection.run('SELECT sum(hash(i)) FROM range(60000000) t(i)');
      const end = threadTicks();
      const [busiest] = [...end].map(([tid, t]) => [tid, t - (start.get(tid) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
      assert.ok(busiest[1] > 0, 'the query used CPU');
      assert.ok(pool.includes(busiest[0]), `the query ran on thread ${busiest[0]}, not one of the pool's ${pool.join(', ')}`);
      assert.ok(getPriority(busiest[0]) >= FOLLOWER_NICENESS);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  },
);
