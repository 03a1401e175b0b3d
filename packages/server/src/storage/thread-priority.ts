/**
 * Lets a worker thread that follows the record log (the lake's flush worker) yield the CPU to the
 * threads that acknowledge writes and answer requests. On a machine
 * with few cores, a follower at the same priority takes half a core from ingestion exactly when
 * ingestion is busiest; at a lower priority it still uses every idle cycle and catches up as soon
 * as the load drops, so nothing is lost, only later. Linux gives each thread its own nice value
 * (`setpriority` on the thread id, found through `/proc/thread-self`); elsewhere this does nothing.
 *
 * Only for threads that hold no lock others wait on for long: a low-priority thread starved of CPU
 * while holding SQLite's write lock stalls every normal-priority writer behind it (the profile
 * projector, whose passes hold meridian.db's lock, stays at normal priority for that reason).
 *
 * @example
 *   // first thing in a follower's worker thread
 *   lowerThreadPriority(FOLLOWER_NICENESS); // true on Linux
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How far the followers step back: nice 10 weighs about a tenth of nice 0 under Linux's
 * scheduler when both want the CPU, and nothing when the CPU is idle.
 */
export const FOLLOWER_NICENESS = 10;

/** The calling thread's kernel id, or undefined where `/proc/thread-self` does not exist. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises the calling thread's nice value to at least `niceness`; false when the platform cannot
 * (not Linux) or refuses.
 *
 * @example
 *   lowerThreadPriority(10); // the thread now runs after normal-priority threads
 */
export function lowerThreadPriority(niceness: number): boolean {
  const tid = currentThreadId();
  if (tid === undefined) return false;
  try {
    if (getPriority(tid) < niceness) setPriority(tid, niceness);
    return getPriority(tid) >= niceness;
  } catch {
    return false;
  }
}

/**
 * Source run first in a worker thread: names the thread on Linux (`/proc/thread-self/comm`) so
 * per-thread CPU can be told apart; elsewhere, or when refused, it does nothing.
 */
export function nameThreadSource(name: string): string {
  return `try { require('node:fs').writeFileSync('/proc/thread-self/comm', ${JSON.stringify(name)}); } catch {}\n`;
}
