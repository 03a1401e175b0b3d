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
import { readlinkSync, writeFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/**
 * How far the followers step back: nice 10 weighs about a tenth of nice 0 under Linux's
 * scheduler when both want the CPU, and nothing when the CPU is idle.
 */
export const FOLLOWER_NICENESS = 10;

/** The calling thread's kernel id, or undefined where `/proc/thread-self` does not exist. */
export function currentThreadId(): number | undefined {
  try {
    return threadIdOf(readlinkSync('/proc/thread-self'));
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

/** A thread id from a `/proc/thread-self` link (`<pid>/task/<tid>`). */
function threadIdOf(link: string): number | undefined {
  const tid = Number(link.split('/').pop());
  return Number.isInteger(tid) && tid > 0 ? tid : undefined;
}

/** libuv's thread pool size as libuv reads `UV_THREADPOOL_SIZE`: 4 when unset, `atoi` of it, 0 meaning 1, at most 1024. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.UV_THREADPOOL_SIZE;
  if (value === undefined) return 4;
  const asked = Number.parseInt(value, 10);
  if (!Number.isFinite(asked) || asked === 0) return 1;
  return asked < 0 ? 1024 : Math.min(asked, 1024); // libuv holds it unsigned: a negative count is huge
}

/**
 * Lowers libuv's thread pool to `niceness` and names its threads `mrd-pool`. Every DuckDB query
 * (the lake's flushes, lake queries, audience jobs, exports), asynchronous file access and gzip
 * run on that pool, not on the thread that asked: the lake's flush worker lowering itself left its
 * Parquet writing (JSON shredding, compression) at normal priority, competing with the event loop
 * for a core under ingestion. A pool thread is found from inside: an asynchronous `readlink` of
 * `/proc/thread-self` runs on a pool thread, so the link names that thread. Rounds of them go until
 * every thread of the pool has answered (at most 200 rounds or one second: threads busy with long
 * queries may not answer, and stay as they were). Returns the thread ids lowered; empty
 * where there is no `/proc/thread-self` (not Linux).
 *
 * @example
 *   await lowerThreadPoolPriority(FOLLOWER_NICENESS);  // [4368, 4369, 4370, 4371]
 */
export async function lowerThreadPoolPriority(niceness: number): Promise<number[]> {
  if (currentThreadId() === undefined) return [];
  const size = threadPoolSize();
  const lowered = new Set<number>();
  const deadline = performance.now() + 1000;
  for (let round = 0; round < 200 && lowered.size < size && performance.now() < deadline; round++) {
    const links = await Promise.all(Array.from({ length: size * 2 }, () => readlink('/proc/thread-self').catch(() => '')));
    for (const link of links) {
      const tid = threadIdOf(link);
      if (tid === undefined || tid === process.pid || lowered.has(tid)) continue;
      lowered.add(tid);
      try {
        if (getPriority(tid) < niceness) setPriority(tid, niceness);
        writeFileSync(`/proc/self/task/${tid}/comm`, 'mrd-pool');
      } catch {
        // refused (a container without the right): the pool keeps its priority
      }
    }
  }
  return [...lowered];
}

/**
 * Source run first in a worker thread: names the thread on Linux (`/proc/thread-self/comm`) so
 * per-thread CPU can be told apart; elsewhere, or when refused, it does nothing.
 */
export function nameThreadSource(name: string): string {
  return `try { require('node:fs').writeFileSync('/proc/thread-self/comm', ${JSON.stringify(name)}); } catch {}\n`;
}
