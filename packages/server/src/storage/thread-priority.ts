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
  return tid !== undefined && lowerPriorityOf(tid, niceness);
}

/** Raises a thread's nice value to at least `niceness`; false when it ended or the platform refuses. */
function lowerPriorityOf(tid: number, niceness: number): boolean {
  try {
    if (getPriority(tid) < niceness) setPriority(tid, niceness);
    return getPriority(tid) >= niceness;
  } catch {
    return false;
  }
}

/** libuv's thread pool size: `UV_THREADPOOL_SIZE`, 4 unless set (libuv reads it once, at the pool's start). */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/**
 * The kernel ids of libuv's thread pool (shared by the main thread and every worker thread):
 * an asynchronous `readlink` of `/proc/thread-self` runs on a pool thread and names that thread.
 * Asked in rounds of concurrent calls until every thread of the pool has answered (or a hundred
 * rounds passed: on a loaded machine one thread can drain a round's calls before another wakes,
 * and ten rounds once found three of four threads in CI); empty where `/proc/thread-self` does not
 * exist.
 */
export async function threadPoolThreadIds(): Promise<number[]> {
  const size = threadPoolSize();
  const caller = currentThreadId();
  const found = new Set<number>();
  for (let round = 0; round < 100 && found.size < size; round++) {
    let links: string[];
    try {
      links = await Promise.all(Array.from({ length: size * 4 }, () => readlink('/proc/thread-self')));
    } catch {
      return [];
    }
    for (const link of links) {
      const tid = Number(link.split('/').pop());
      if (Number.isInteger(tid) && tid > 0 && tid !== caller) found.add(tid);
    }
  }
  return [...found].sort((a, b) => a - b);
}

let poolLowered: Promise<number> | undefined;

/**
 * Lowers the priority of libuv's thread pool, once per process: the lake's DuckDB runs its
 * queries there (its `threads` setting of 1 means on the calling pool thread, not the flush
 * worker's own lowered thread), as do file exports, compression and uploads being staged. Only
 * bulk work uses the pool; the event loop, the record log's writer, the projector and the batch
 * readers (which read in their own threads) do not.
 * Resolves to the number of threads lowered (0 where the platform cannot).
 *
 * @example
 *   await lowerThreadPoolPriority(FOLLOWER_NICENESS); // 4 on Linux with the default pool
 */
export function lowerThreadPoolPriority(niceness: number): Promise<number> {
  poolLowered ??= threadPoolThreadIds().then((tids) => tids.filter((tid) => lowerPriorityOf(tid, niceness)).length);
  return poolLowered;
}

/**
 * Source run first in a worker thread: names the thread on Linux (`/proc/thread-self/comm`) so
 * per-thread CPU can be told apart; elsewhere, or when refused, it does nothing.
 */
export function nameThreadSource(name: string): string {
  return `try { require('node:fs').writeFileSync('/proc/thread-self/comm', ${JSON.stringify(name)}); } catch {}\n`;
}
