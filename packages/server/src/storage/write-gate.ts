/**
 * Turns at one SQLite database's write lock for the threads of this process, with the event loop
 * first. Several threads write `meridian.db` (the event loop, the profile projector, the lake's
 * flush worker); SQLite serializes them with its write lock, and a connection that finds the lock
 * taken sleeps in its busy handler: 1, 2, 5, 10, 15, 20, 25 ms... whether or not the lock came
 * free in between. A follower that commits slice after slice can take the lock again in the gap
 * between two sleeps, so the event loop slept tens of milliseconds for a write of a few hundred
 * microseconds (strace of the activation bench: the main thread's `clock_nanosleep` ladder,
 * `BEGIN IMMEDIATE` waiting up to 34 ms).
 *
 * The gate is two Int32 cells every thread of the process shares: whether a transaction holds
 * the gate, and how many foreground (event-loop) writers are waiting. A writer takes the gate
 * before `BEGIN IMMEDIATE` and gives it back after `COMMIT` or `ROLLBACK`; a waiting writer
 * sleeps in `Atomics.wait` and is woken the moment the gate is given back, not at its next poll.
 * Background writers (followers of the log) do not start a transaction while the event loop
 * waits, so the event loop waits for at most the one transaction in progress.
 *
 * The gate only orders turns: SQLite's lock still guards the data. A writer outside the gate
 * (another process, an autocommit statement) is met by the busy handler as before, and a writer
 * that has waited `maxWaitMs` goes ahead without the gate (a thread that died holding it cannot
 * stop the others).
 *
 * @example
 *   const gate = new WriteGate();                                    // main thread
 *   const db = openSqlite(path, 'normal', 1000, undefined, gate);
 *   new Worker(src, { workerData: { writeGate: gate.cells } });
 *   // worker:
 *   openSqlite(path, 'normal', 1000, undefined, new WriteGate(workerData.writeGate, 'background'));
 */

const HELD = 0;
const FOREGROUND_WAITING = 1;

export type WritePriority = 'foreground' | 'background';

export class WriteGate {
  /** Pass to worker threads, which join with `new WriteGate(cells, 'background')`. */
  readonly cells: SharedArrayBuffer;
  private readonly view: Int32Array;

  constructor(
    cells: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
    readonly priority: WritePriority = 'foreground',
    private readonly maxWaitMs = 5_000,
  ) {
    this.cells = cells;
    this.view = new Int32Array(cells);
  }

  /** Waits for the gate; true when taken (give it back with `leave`), false when waited out. */
  enter(): boolean {
    return this.priority === 'foreground' ? this.enterFirst() : this.enterAfterForeground();
  }

  leave(): void {
    Atomics.store(this.view, HELD, 0);
    Atomics.notify(this.view, HELD);
  }

  /** Whether a transaction holds the gate now (for tests and diagnostics). */
  get held(): boolean {
    return Atomics.load(this.view, HELD) === 1;
  }

  /** How many foreground writers wait for the gate now (for tests and diagnostics). */
  get foregroundWaiting(): number {
    return Atomics.load(this.view, FOREGROUND_WAITING);
  }

  private enterFirst(): boolean {
    const deadline = performance.now() + this.maxWaitMs;
    Atomics.add(this.view, FOREGROUND_WAITING, 1);
    try {
      for (;;) {
        if (Atomics.compareExchange(this.view, HELD, 0, 1) === 0) return true;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        Atomics.wait(this.view, HELD, 1, left);
      }
    } finally {
      if (Atomics.sub(this.view, FOREGROUND_WAITING, 1) === 1) Atomics.notify(this.view, FOREGROUND_WAITING);
    }
  }

  private enterAfterForeground(): boolean {
    const deadline = performance.now() + this.maxWaitMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const waiting = Atomics.load(this.view, FOREGROUND_WAITING);
      if (waiting > 0) {
        Atomics.wait(this.view, FOREGROUND_WAITING, waiting, left);
        continue;
      }
      if (Atomics.compareExchange(this.view, HELD, 0, 1) === 0) return true;
      Atomics.wait(this.view, HELD, 1, left);
    }
  }
}
