/**
 * How busy the main event loop is, shared with worker threads through one SharedArrayBuffer cell:
 * the main thread writes its event-loop utilization (the share of wall time spent running
 * callbacks rather than waiting for I/O) every `intervalMs`; followers of the record log read it
 * without a message and step back while the loop is saturated (see `FollowerPace`).
 *
 * @example
 *   const gauge = new EventLoopGauge();        // main thread
 *   new Worker(src, { workerData: { load: gauge.cell } });
 *   loadOf(workerData.load);                   // worker: 0.97 while ingestion is saturated
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** The gauge's resolution: utilization is stored in thousandths. */
const SCALE = 1000;

export class EventLoopGauge {
  /** Pass to workers (in workerData): the utilization of the last interval, in thousandths. */
  readonly cell = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly view = new Int32Array(this.cell);
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    Atomics.store(this.view, 0, Math.round(utilization * SCALE));
    return utilization;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The utilization a gauge's cell holds (0 when there is no cell). */
export function loadOf(cell: SharedArrayBuffer | undefined): number {
  return cell ? Atomics.load(new Int32Array(cell), 0) / SCALE : 0;
}

/** Event-loop utilization from which followers step back: the loop has almost no idle time left. */
export const SATURATED = 0.9;

/** A saturated loop gets this share of the follower's time back: it works one part, rests three. */
const REST_PER_WORK = 3;
const MAX_REST_MS = 100;

/**
 * Pacing for a thread following the record log (the profile projector): while the main event
 * loop is saturated it rests three times as long as its last slice of work took, before the next
 * one, so ingestion and requests get the CPU first; otherwise it runs flat out. Unlike a lower
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
  /** Rests taken (ms), for tests and metrics. */
  rested = 0;

  constructor(
    private readonly load: () => number,
    private readonly urgent: () => boolean = () => false,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Called before each slice of work; the time since the previous call is that slice's work. */
  async beforeWork(): Promise<void> {
    const now = performance.now();
    const worked = this.workStarted > 0 ? now - this.workStarted : 0;
    if (worked > 0 && !this.urgent() && this.load() >= SATURATED) {
      const rest = Math.min(MAX_REST_MS, Math.max(1, worked * REST_PER_WORK));
      this.rested += rest;
      await this.sleep(rest);
    }
    this.workStarted = performance.now();
  }

  /** Called when the follower goes idle: the next slice starts a fresh measurement. */
  idle(): void {
    this.workStarted = 0;
  }
}
