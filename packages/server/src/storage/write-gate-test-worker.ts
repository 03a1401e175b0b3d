/**
 * Test support for `write-gate.test.ts`: a background writer in its own thread. It inserts its
 * name into `t` in one transaction through the gate, tells the test it holds the transaction, and
 * keeps it for `holdMs`. With `afterForegroundWaits` it first waits until a foreground writer waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite.ts';
import { WriteGate } from './write-gate.ts';

const data = workerData as { cells: SharedArrayBuffer; path: string; name: string; holdMs: number; afterForegroundWaits: boolean };
const port = parentPort!;
const gate = new WriteGate(data.cells, 'background');
const db = openSqlite(data.path, 'normal', 1000, undefined, gate);
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (data.afterForegroundWaits) while (gate.foregroundWaiting === 0) pause(1);
db.transaction(() => {
  db.prepare('INSERT INTO t (name) VALUES (?)').run(data.name);
  port.postMessage('holding');
  if (data.holdMs > 0) pause(data.holdMs);
})();
db.close();
port.postMessage('done');
