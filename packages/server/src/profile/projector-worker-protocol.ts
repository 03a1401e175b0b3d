/** Messages between the main thread (`projector-worker-client.ts`) and the profile projector's thread (`projector-worker.ts`). */
import type { DatasetRef, ProjectionPlans } from './projection-plans.ts';

export interface ProjectorWorkerData {
  /** The SQLite database holding identities and profiles; the thread opens its own connection. */
  databasePath: string;
  /** The record log's database (read only here); the same file as `databasePath` when absent. */
  recordsPath?: string;
  durability: 'normal' | 'full';
  /** The main connection's `wal_autocheckpoint`, so the thread checkpoints no more eagerly than it. */
  autoCheckpointPages: number;
  /** The main event loop's load gauge (storage/load-gauge.ts): the thread rests while the loop is saturated. */
  load?: SharedArrayBuffer;
  /**
   * Two Int32 cells shared with the main thread: `ACTIVITY_IDLE` (1 while the thread waits for
   * work) and `ACTIVITY_NUDGES` (how often the log grew). The main thread posts a nudge only when
   * the thread is idle; a busy thread sees the count move when its pass ends and runs another.
   * Each write announces itself before reading the other side's cell, so one of them always
   * notices the other (no nudge is lost) and a saturated server sends almost no messages.
   */
  activity?: SharedArrayBuffer;
}

export const ACTIVITY_IDLE = 0;
export const ACTIVITY_NUDGES = 1;

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
