/**
 * Dataset retention: records older than a dataset's `retentionDays` (by record timestamp) expire
 * from every place that holds them (record log, lake). Runs at start and then on an interval.
 *
 * @example
 *   const sweeper = new RetentionSweeper(catalog, [(s, d, before) => records.expire(s, d, before)]);
 *   await sweeper.sweep(Date.now());
 */
import type { CatalogService } from './service.ts';

/** Removes one dataset's records with a timestamp before `beforeMs`; returns how many. */
export type ExpireRecords = (sandboxId: string, datasetId: string, beforeMs: number) => Promise<number>;

const DAY_MS = 86_400_000;

export class RetentionSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly catalog: CatalogService,
    private readonly targets: ExpireRecords[],
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Expires everything past retention as of `now`; returns the number of records removed from the record log. */
  async sweep(now: number = Date.now()): Promise<number> {
    let removed = 0;
    for (const dataset of await this.catalog.listWithRetention()) {
      const cutoff = now - (dataset.retentionDays ?? 0) * DAY_MS;
      for (const [i, expire] of this.targets.entries()) {
        const n = await expire(dataset.sandboxId, dataset.id, cutoff);
        if (i === 0) removed += n;
      }
    }
    return removed;
  }

  start(intervalMs: number): void {
    const run = () => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) => {
          this.onError(err);
          return 0;
        })
        .finally(() => (this.running = undefined));
    };
    run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
