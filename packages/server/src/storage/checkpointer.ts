/**
 * Moves WAL checkpoints off the event loop. A checkpoint copies the write-ahead log into the
 * database file and fsyncs it; run inline (SQLite's default, every 1,000 pages) it stalls the
 * committing request for tens of milliseconds. Here a worker thread with its own connection runs
 * PASSIVE checkpoints on a timer, which never block writers; the main connection keeps only a
 * far-off automatic checkpoint as a safety net should the worker fall behind.
 *
 * @example
 *   const checkpointer = startCheckpointer('/data/meridian.db', 250);
 *   await checkpointer.stop();
 */
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { nameThreadSource } from './thread-priority.ts';

/** Pages after which the main connection checkpoints by itself (about 200 MB of WAL). */
export const SAFETY_NET_CHECKPOINT_PAGES = 50_000;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error) }); }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  tick();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs: number, onError: (message: string) => void = () => {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const threadName = `mrd-ckpt-${basename(path, '.db')}`.slice(0, 15);
  const worker = new Worker(nameThreadSource(threadName) + WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
  worker.on('message', (message: { error?: string }) => message.error && onError(message.error));
  worker.on('error', (error) => onError(String(error)));
  let exited = false;
  worker.once('exit', () => (exited = true));
  // Unreferenced while idle so it never keeps the process alive; referenced again while stopping,
  // so the process waits for the last checkpoint.
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.ref();
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
