/**
 * How hard pressed the main event loop is, shared with worker threads through one
 * SharedArrayBuffer cell: every `intervalMs` the main thread writes a pressure from 0 to 1;
 * followers of the record log read it without a message and step back from `SATURATED` on (see
 * `FollowerPace`). Two things count:
 * - the event-loop utilization, the share of wall time spent in callbacks rather than waiting
 *   for I/O (0.9 and more: the loop has no idle time left);
 * - on Linux, the share of wall time the thread spent runnable but off the CPU, from
 *   `/proc/self/task/<pid>/schedstat`, weighted so that 10% reads as saturated. A loop woken by
 *   a socket but kept waiting by other threads counts as idle to the first measure; on a machine
 *   whose cores the followers take, the loop can look a quarter idle while its requests queue.
 *
 * @example
 *   const gauge = new EventLoopGauge();        // main thread
 *   new Worker(src, { workerData: { load: gauge.cell } });
 *   loadOf(workerData.load);                   // worker: 0.97 while ingestion is saturated
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** The gauge's resolution: utilization is stored in thousandths. */
const SCALE = 1000;

export class EventLoopGauge {
  /** Pass to workers (in workerData): the pressure of the last interval, in thousandths; then 1 while a bulk load runs. */
  readonly cell = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  private readonly view = new Int32Array(this.cell);
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private lastCpu: RunQueueSample | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly bulkLoads: (() => boolean)[] = [];

  /** `runQueue` reads the thread's run-queue time (tests give their own). */
  constructor(
    intervalMs = 100,
    private readonly runQueue: () => RunQueueSample | undefined = mainThreadRunQueue,
  ) {
    this.lastCpu = runQueue();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    const cpu = this.runQueue();
    const waiting = cpu && this.lastCpu && cpu.at > this.lastCpu.at ? (cpu.waitNs - this.lastCpu.waitNs) / (cpu.at - this.lastCpu.at) : 0;
    this.lastCpu = cpu;
    const bulk = this.bulkLoads.some((loading) => loading());
    const load = bulk ? 1 : pressureOf(utilization, waiting);
    Atomics.store(this.view, 0, Math.round(load * SCALE));
    Atomics.store(this.view, 1, bulk ? 1 : 0);
    return load;
  }

  /**
   * Ingestion that happens off the event loop counts too: while `loading` says a bulk load (a
   * batch file being written by its worker) runs, the gauge reads saturated, however idle the
   * loop, and followers can tell (`bulkLoadOf`): they step back further than for a busy loop,
   * since they fall behind a bulk load anyway.
   *
   * @example
   *   gauge.addBulkLoad(() => batches.loading);
   */
  addBulkLoad(loading: () => boolean): void {
    this.bulkLoads.push(loading);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Run-queue time weighs this much: a loop kept waiting 10% of the time reads as saturated (0.9). */
const WAIT_WEIGHT = 9;

/**
 * Pressure from the event-loop utilization and the share of time spent runnable but off the CPU.
 *
 * @example
 *   pressureOf(0.5, 0.12); // 1: kept waiting 12% of the time
 */
export function pressureOf(utilization: number, waitingShare: number): number {
  return Math.min(1, Math.max(0, utilization, waitingShare * WAIT_WEIGHT));
}

/** A thread's time spent runnable but not running so far (ns), and when it was read (ns). */
export interface RunQueueSample {
  waitNs: number;
  at: number;
}

/** The main thread's run-queue time, from Linux's schedstat; undefined elsewhere. */
export function mainThreadRunQueue(): RunQueueSample | undefined {
  try {
    const wait = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? { waitNs: wait, at: performance.now() * 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/** The load a gauge's cell holds, 0 to 1 (0 when there is no cell). */
export function loadOf(cell: SharedArrayBuffer | undefined): number {
  return cell ? Atomics.load(new Int32Array(cell), 0) / SCALE : 0;
}

/** Whether a bulk load runs, from a gauge's cell (false when there is no cell). */
export function bulkLoadOf(cell: SharedArrayBuffer | undefined): boolean {
  return cell ? Atomics.load(new Int32Array(cell), 1) === 1 : false;
}

/** Event-loop utilization from which followers step back: the loop has almost no idle time left. */
export const SATURATED = 0.9;

/** A saturated loop gets this share of the follower's time back: it works one part, rests three. */
const REST_PER_WORK = 3;
/**
 * The longest rest. Whatever the follower has not projected waits through it (streaming
 * audiences, webhooks): at 100 ms, rests of 60–100 ms made most of an event's p99 from acceptance
 * to webhook at 5,000 events/s (p99 90–190 ms; 49–108 ms with 25). Shrinking the slices to keep
 * the ratio was worse: per-slice costs left the projector behind.
 */
const MAX_REST_MS = 25;

/**
 * While a bulk load runs, a follower that is behind works one part and rests nine, up to 100 ms:
 * it cannot keep up with a batch file anyway (~100,000 rows/s against ~20,000 projected), and
 * what it does not project during the load it projects after, when the cores are free. Streaming
 * records logged meanwhile wait behind the batch's rows in the log either way.
 */
const BULK_REST_PER_WORK = 9;
const BULK_MAX_REST_MS = 100;

/**
 * Pacing for a thread following the record log (the profile projector): while the main event
 * loop is saturated and the follower is behind, it rests three times as long as its last slice of
 * work took, before the next one (never more than 25 ms; nine times, up to 100 ms, while `bulk`
 * says a batch file loads), so ingestion and requests get the CPU first; otherwise it runs flat
 * out. Unlike a lower OS priority, it rests only between slices, never while holding SQLite's
 * write lock, so the event loop never waits for a starved follower. Someone waiting for the
 * follower to catch up (`urgent`) turns resting off.
 *
 * @example
 *   const pace = new FollowerPace(() => loadOf(workerData.load), () => false, () => bulkLoadOf(workerData.load));
 *   for (const slice of slices) { await pace.beforeWork(); apply(slice); }
 */
export class FollowerPace {
  private workStarted = 0;

  constructor(
    private readonly load: () => number,
    private readonly urgent: () => boolean = () => false,
    private readonly bulk: () => boolean = () => false,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Called before each slice of work; the time since the previous call is that slice's work.
   * `behind`: the follower is at least a slice behind what it follows. Only then does it rest: a
   * follower keeping up adds each rest to the latency of everything after it, and gives the loop
   * little CPU back, since its slices are short.
   */
  async beforeWork(behind = true): Promise<void> {
    const now = performance.now();
    const worked = this.workStarted > 0 ? now - this.workStarted : 0;
    if (worked > 0 && behind && !this.urgent() && this.load() >= SATURATED) {
      const [perWork, most] = this.bulk() ? [BULK_REST_PER_WORK, BULK_MAX_REST_MS] : [REST_PER_WORK, MAX_REST_MS];
      await this.sleep(Math.min(most, Math.max(1, worked * perWork)));
    }
    this.workStarted = performance.now();
  }

  /** Called when the follower goes idle: the next slice starts a fresh measurement. */
  idle(): void {
    this.workStarted = 0;
  }
}
