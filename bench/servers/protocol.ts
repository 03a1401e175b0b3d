/**
 * Messages between a benchmark and the server it runs in a child process (over the fork IPC
 * channel): the child says where it listens, and reports its memory, CPU and garbage-collection
 * pauses when asked.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface ProcessUsage {
  rssBytes: number;
  /** Highest resident set size since the process started (getrusage maxrss). */
  maxRssBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** The main thread's garbage-collection pauses since the child started serving (running totals). */
  gc: GcTotals;
}

/**
 * Running totals of one thread's garbage-collection pauses: young-generation collections
 * (scavenges), full ones (mark-compact, with their incremental steps and weak callbacks), and
 * how many pauses of either kind took at least `LONG_GC_PAUSE_MS`. Each pause stops the event loop.
 */
export interface GcTotals {
  minorCount: number;
  minorMs: number;
  majorCount: number;
  majorMs: number;
  longPauses: number;
}

/** A pause at least this long counts in `GcTotals.longPauses`: it alone takes the 5 ms edge budget. */
export const LONG_GC_PAUSE_MS = 5;

const gcTotals: GcTotals = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, longPauses: 0 };
let gcObserver: PerformanceObserver | undefined;

/** Starts adding this thread's GC pauses to the totals `currentUsage` reports (once). */
function observeGc(): void {
  gcObserver ??= new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Node 16+ puts the kind in `detail` (the entry's own `kind` is deprecated).
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gcTotals.minorCount++;
        gcTotals.minorMs += entry.duration;
      } else {
        gcTotals.majorCount++;
        gcTotals.majorMs += entry.duration;
      }
      if (entry.duration >= LONG_GC_PAUSE_MS) gcTotals.longPauses++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

export type ChildMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'usage' } & ProcessUsage)
  | { type: 'failed'; message: string }
  /** The webhook receiver's answer: each ECID and when it first arrived (`monotonicMs`). */
  | { type: 'arrivals'; arrivals: [string, number][]; requests: number };

export type ParentMessage = { type: 'usage' } | { type: 'arrivals' };

/** Milliseconds on the monotonic clock, the same in every process of the machine (unlike `performance.now()`). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function currentUsage(): ProcessUsage {
  const usage = process.resourceUsage();
  return {
    rssBytes: process.memoryUsage.rss(),
    maxRssBytes: usage.maxRSS * 1024,
    cpuUserMicros: usage.userCPUTime,
    cpuSystemMicros: usage.systemCPUTime,
    gc: { ...gcTotals },
  };
}

/** Child side: answers usage requests (and the requests in `answers`), stops on SIGTERM or when the parent goes away. */
export function serveParent(
  ready: { url: string },
  stop: () => Promise<void>,
  answers: Partial<Record<Exclude<ParentMessage['type'], 'usage'>, () => ChildMessage>> = {},
): void {
  const send = (message: ChildMessage) => process.send?.(message);
  observeGc();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'usage') send({ type: 'usage', ...currentUsage() });
    else {
      const answer = answers[message.type];
      if (answer) send(answer());
    }
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  send({ type: 'ready', url: ready.url });
}

export function reportFailure(error: unknown): never {
  process.send?.({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildMessage);
  process.exit(1);
}
