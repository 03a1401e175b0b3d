/** Messages between the main thread (`projector-worker-client.ts`) and the profile projector's thread (`projector-worker.ts`). */
import type { DatasetRef, ProjectionPlans } from './projection-plans.ts';

export interface ProjectorWorkerData {
  /** The SQLite database holding identities and profiles; the thread opens its own connection. */
  databasePath: string;
  /** The cells of the main connection's write gate (storage/write-gate.ts): this thread writes after the event loop. */
  writeGate?: SharedArrayBuffer;
  /** The record log's database (read only here); the same file as `databasePath` when absent. */
  recordsPath?: string;
  durability: 'normal' | 'full';
  /** The main connection's `wal_autocheckpoint`, so the thread checkpoints no more eagerly than it. */
  autoCheckpointPages: number;
  /** The main event loop's load gauge (storage/load-gauge.ts): the thread rests while the loop is saturated. */
  load?: SharedArrayBuffer;
  /** The cells of `ProjectorActivity`, shared with the main thread. */
  activity: SharedArrayBuffer;
  /** The cell of `PlanVersion` (plan-cache.ts): the thread keeps its plans while it stays; without it, it asks every pass. */
  planVersion?: SharedArrayBuffer;
}

const IDLE = 0;
const NUDGES = 1;

/**
 * Whether the projector's thread is idle, and how often the log grew, in two Int32 cells both
 * threads share: the main thread posts a nudge only when it finds the thread idle; a busy thread
 * sees the count move when its pass ends and runs another. Each side writes its cell before it
 * reads the other's, so one of them always notices the other (no nudge is lost), and a busy
 * thread gets no messages at all.
 *
 * @example
 *   // main thread
 *   if (activity.nudged()) worker.postMessage({ type: 'nudge' });
 *   // projector thread
 *   do { const seen = activity.passStarts(); await catchUp(); } while (activity.passEnded(seen));
 */
export class ProjectorActivity {
  private readonly cells: Int32Array;

  /** Without a buffer: new cells, thread idle (main thread); with one: the main thread's cells. */
  constructor(readonly buffer: SharedArrayBuffer = idleCells()) {
    this.cells = new Int32Array(buffer);
  }

  /** Main thread: counts a nudge; true when the thread was idle and must be woken (it is now marked busy). */
  nudged(): boolean {
    Atomics.add(this.cells, NUDGES, 1);
    return Atomics.compareExchange(this.cells, IDLE, 1, 0) === 1;
  }

  /** The thread is gone or failed its pass: the next nudge wakes it. */
  idle(): void {
    Atomics.store(this.cells, IDLE, 1);
  }

  /** Projector thread: a pass starts; returns the nudge count it started from. */
  passStarts(): number {
    Atomics.store(this.cells, IDLE, 0);
    return Atomics.load(this.cells, NUDGES);
  }

  /** Projector thread: says idle, then looks again; true when a nudge came meanwhile and it must run another pass. */
  passEnded(seen: number): boolean {
    Atomics.store(this.cells, IDLE, 1);
    return Atomics.load(this.cells, NUDGES) !== seen && Atomics.compareExchange(this.cells, IDLE, 1, 0) === 1;
  }
}

function idleCells(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  Atomics.store(new Int32Array(buffer), IDLE, 1);
  return buffer;
}

export type ToProjectorWorker =
  /** The log has grown: project what is new (nudges that arrive during a pass fold into one more pass). */
  | { type: 'nudge' }
  /** Answer `caughtUp` once everything in the log when this arrived is projected. */
  | { type: 'catchUp'; id: number }
  /** The answer to a `plan` request. */
  | { type: 'plans'; id: number; plans: ProjectionPlans }
  | { type: 'plansFailed'; id: number; message: string }
  /** Finish the pass in progress, release SQLite, exit. */
  | { type: 'close' };

export type FromProjectorWorker =
  /** The thread has loaded its modules and opened its connections. */
  | { type: 'ready' }
  /** Mid-pass: the thread needs the plans of the datasets the pass holds. */
  | { type: 'plan'; id: number; datasets: DatasetRef[] }
  | { type: 'caughtUp'; id: number }
  | { type: 'catchUpFailed'; id: number; message: string }
  /** Identities of profile-enabled records just applied (streaming audiences evaluate them). */
  | { type: 'applied'; sandboxId: string; identities: string[] }
  /** Profiles (by any of their identities) whose attributes or graph changed. */
  | { type: 'changed'; sandboxId: string; identities: string[] }
  /** A record that could not be projected and was skipped. */
  | { type: 'skipped'; seq: number; message: string }
  /** A pass failed (nothing after the watermark was lost: the next nudge retries from the log). */
  | { type: 'passFailed'; message: string };
