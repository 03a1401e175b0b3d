/**
 * Follows the record log into the lake, slice by slice, until a target `seq`; the slices
 * themselves are written by a `SliceWriting` (the flush worker thread in the server). Runs on the
 * main thread, where the `Lake` serializes it with deletions and can make it yield between slices.
 *
 * @example
 *   const writer = new LakeWriter({ records, store, slices: flushWorker });
 *   await writer.drain(); // every record accepted so far is now in Parquet
 */
import type { LakeMetrics, LakeRecordSource } from './lake-sources.ts';
import type { LakeStore } from './lake-store.ts';
import type { SliceWriting } from './slice-writer.ts';

export interface LakeWriterDeps {
  records: LakeRecordSource;
  /** Read for the watermark; the slices commit to the same database. */
  store: LakeStore;
  slices: SliceWriting;
  metrics?: LakeMetrics;
}

export interface DrainOptions {
  /** Last `seq` to write (default: every record accepted before the call). */
  until?: number;
  /** Asked between slices: true stops the drain early. */
  yieldIf?: () => boolean;
}

export class LakeWriter {
  constructor(private readonly deps: LakeWriterDeps) {}

  /**
   * Writes slices until the lake holds every record up to `until`. Returns false when it stopped
   * early because `yieldIf` asked it to (between slices), true when caught up. Not re-entrant: the
   * caller (the `Lake`) serializes it with every other change to the lake.
   */
  async drain(options: DrainOptions = {}): Promise<boolean> {
    const target = options.until ?? (await this.deps.records.lastSeq());
    let caughtUp = true;
    for (;;) {
      const watermark = await this.deps.store.watermark();
      if (watermark >= target) break;
      if (options.yieldIf?.()) {
        caughtUp = false;
        break;
      }
      const slice = await this.deps.slices.writeSliceAfter(watermark, target);
      if (slice.records === 0) break; // the rest up to `target` was deleted from the log; the watermark skipped it
      this.deps.metrics?.flushSeconds(slice.seconds);
    }
    this.deps.metrics?.pendingRecords(await this.pending());
    return caughtUp;
  }

  /** Records in the log not yet in the lake. */
  async pending(): Promise<number> {
    return Math.max(0, (await this.deps.records.lastSeq()) - (await this.deps.store.watermark()));
  }
}
