import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { getPriority } from 'node:os';
import { readFileSync } from 'node:fs';
import { currentThreadId, lowerThreadPriority, nameThreadSource } from './thread-priority.ts';
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
