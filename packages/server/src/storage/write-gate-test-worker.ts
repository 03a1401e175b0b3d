/**
 * Test support for `write-gate.test.ts`: a background writer in its own thread. It inserts its
 * name into `t` in one transaction through the gate and says `holding` inside it. Its `role`:
 * - `holder`: keeps the transaction until a foreground writer waits for the gate, then 100 ms more;
 * - `follower`: says `ready`, and starts its transaction only once a foreground writer waits.
 * Every wait gives up after 10 s, so a broken gate fails the test instead of hanging it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite.ts';
import { WriteGate } from './write-gate.ts';

const data = workerData as { cells: SharedArrayBuffer; path: string; name: string; role: 'holder' | 'follower' };
const port = parentPort!;
const gate = new WriteGate(data.cells, 'background');
const db = openSqlite(data.path, 'normal', 1000, undefined, gate);
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const untilForegroundWaits = () => {
  const deadline = performance.now() + 10_000;
  while (gate.foregroundWaiting === 0 && performance.now() < deadline) pause(1);
};
if (data.role === 'follower') {
  port.postMessage('ready');
  untilForegroundWaits();
}
db.transaction(() => {
  db.prepare('INSERT INTO t (name) VALUES (?)').run(data.name);
  port.postMessage('holding');
  if (data.role === 'holder') {
    untilForegroundWaits();
    pause(100);
  }
})();
db.close();
port.postMessage('done');
