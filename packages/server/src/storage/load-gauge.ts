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
  /** Pass to workers (in workerData): the utilization of the last interval, in thousandths. */
  readonly cell = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly view = new Int32Array(this.cell);
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private lastCpu: RunQueueSample | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly sources: (() => number)[] = [];

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
    let load = pressureOf(utilization, waiting);
    for (const source of this.sources) load = Math.max(load, Math.min(1, source()));
    Atomics.store(this.view, 0, Math.round(load * SCALE));
    return load;
  }

  /**
   * Ingestion that happens off the event loop counts too: `source` gives its pressure (0 to 1) at
   * each sample, and the gauge reads the highest. A batch worker loading a file leaves the loop
   * idle, yet the followers would take the cores it needs.
   *
   * @example
   *   gauge.addPressure(() => (batches.loading ? 1 : 0));
   */
  addPressure(source: () => number): void {
    this.sources.push(source);
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
 * Pacing for a thread following the record log (the profile projector): while the main event
 * loop is saturated and the follower is behind, it rests three times as long as its last slice of
 * work took, before the next one (never more than 25 ms), so ingestion and requests get the CPU
 * first; otherwise it runs flat out. Unlike a lower
 * OS priority, it rests only between slices, never while holding SQLite's write lock, so the
 * event loop never waits for a starved follower. Someone waiting for the follower to catch up
 * (`urgent`) turns resting off.
 *
 * @example
 *   const pace = new FollowerPace(() => loadOf(workerData.load));
 *   for (const slice of slices) { await pace.beforeWork(); apply(slice); }
 */
export class FollowerPace {
  private workStarted = 0;

  constructor(
    private readonly load: () => number,
    private readonly urgent: () => boolean = () => false,
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
      await this.sleep(Math.min(MAX_REST_MS, Math.max(1, worked * REST_PER_WORK)));
    }
    this.workStarted = performance.now();
  }

  /** Called when the follower goes idle: the next slice starts a fresh measurement. */
  idle(): void {
    this.workStarted = 0;
  }
}
