/**
 * Follows the record log into the lake: reads bounded slices after the watermark, groups them by
 * sandbox, dataset and UTC day, writes one typed Parquet file per group, then moves the watermark.
 * A crash before the watermark moves re-writes at most one slice, into the same file names.
 *
 * @example
 *   const writer = new LakeWriter({ records, store, parquet, catalog, schemas });
 *   await writer.drain(); // every record accepted so far is now in Parquet
 */
import { MeridianError } from '../app/errors.ts';
import type { StoredRecord } from '../ingest/record-store.ts';
import { partFilePath, utcDay } from './lake-layout.ts';
import { shapeRow } from './lake-rows.ts';
import type { LakeCatalog, LakeMetrics, LakeRecordSource, LakeSchemas } from './lake-sources.ts';
import type { LakeFile, LakeStore } from './lake-store.ts';
import { lakeColumns, type LakeColumn } from './lake-types.ts';
import type { ParquetWriter } from './parquet-writer.ts';

/** Records read from the log per slice: bounds the JS-side memory and time of one step. */
export const DEFAULT_SLICE_SIZE = 20_000;

export interface LakeWriterDeps {
  records: LakeRecordSource;
  store: LakeStore;
  parquet: ParquetWriter;
  catalog: LakeCatalog;
  schemas: LakeSchemas;
  metrics?: LakeMetrics;
  sliceSize?: number;
}

/** Records of one sandbox, dataset and day within a slice, in log order. */
export interface SliceGroup {
  sandboxId: string;
  datasetId: string;
  day: string;
  records: StoredRecord[];
}

/**
 * Splits a slice of the log into the groups that become files.
 *
 * @example
 *   groupSlice(records).map((g) => `${g.datasetId}/${g.day}`); // ['ds_1/2026-11-01', 'ds_1/2026-11-02']
 */
export function groupSlice(records: readonly StoredRecord[]): SliceGroup[] {
  const groups = new Map<string, SliceGroup>();
  for (const record of records) {
    const day = utcDay(record.timestamp);
    const key = `${record.sandboxId}\u0000${record.datasetId}\u0000${day}`;
    let group = groups.get(key);
    if (!group) {
      group = { sandboxId: record.sandboxId, datasetId: record.datasetId, day, records: [] };
      groups.set(key, group);
    }
    group.records.push(record);
  }
  return [...groups.values()];
}

export class LakeWriter {
  private readonly sliceSize: number;

  constructor(private readonly deps: LakeWriterDeps) {
    this.sliceSize = deps.sliceSize ?? DEFAULT_SLICE_SIZE;
  }

  /**
   * Writes slices until the lake holds every record up to `until` (default: every record accepted
   * before the call). Returns false when it stopped early because `yieldIf` asked it to (between
   * slices), true when caught up. Not re-entrant: the caller (the `Lake`) serializes it with every
   * other change to the lake.
   */
  async drain(options: { until?: number; yieldIf?: () => boolean } = {}): Promise<boolean> {
    const target = options.until ?? (await this.deps.records.lastSeq());
    let caughtUp = true;
    for (;;) {
      const watermark = await this.deps.store.watermark();
      if (watermark >= target) break;
      if (options.yieldIf?.()) {
        caughtUp = false;
        break;
      }
      if ((await this.writeSlice(watermark)) === 0) {
        // Everything between the watermark and `target` was deleted from the log (dataset deleted,
        // expired); seqs are never reused, so the watermark may skip the gap.
        await this.deps.store.commitSlice([], target);
        break;
      }
    }
    await this.reportPending();
    return caughtUp;
  }

  /** Records in the log not yet in the lake. */
  async pending(): Promise<number> {
    return Math.max(0, (await this.deps.records.lastSeq()) - (await this.deps.store.watermark()));
  }

  private async reportPending() {
    this.deps.metrics?.pendingRecords(await this.pending());
  }

  /** Writes one slice after `watermark`; returns how many records it read. */
  private async writeSlice(watermark: number): Promise<number> {
    const started = performance.now();
    const records = await this.deps.records.readAfter(watermark, this.sliceSize);
    if (records.length === 0) return 0;
    const columnsByDataset = new Map<string, LakeColumn[] | undefined>();
    const files: LakeFile[] = [];
    for (const group of groupSlice(records)) {
      const key = `${group.sandboxId}/${group.datasetId}`;
      if (!columnsByDataset.has(key)) columnsByDataset.set(key, await this.columnsOf(group.sandboxId, group.datasetId));
      const columns = columnsByDataset.get(key);
      if (!columns) continue; // the dataset was deleted; its records leave with it
      const first = group.records[0].seq;
      const path = partFilePath(group.sandboxId, group.datasetId, group.day, first);
      await this.deps.parquet.write(path, columns, group.records.map((r) => shapeRow(r, columns)));
      files.push({
        path,
        sandboxId: group.sandboxId,
        datasetId: group.datasetId,
        day: group.day,
        firstSeq: first,
        lastSeq: group.records[group.records.length - 1].seq,
        rowCount: group.records.length,
        columns: columns.map((c) => c.name),
      });
    }
    await this.deps.store.commitSlice(files, records[records.length - 1].seq);
    this.deps.metrics?.flushSeconds((performance.now() - started) / 1000);
    return records.length;
  }

  /** The dataset's current columns, or undefined when the dataset no longer exists. */
  private async columnsOf(sandboxId: string, datasetId: string): Promise<LakeColumn[] | undefined> {
    try {
      const dataset = await this.deps.catalog.get(sandboxId, datasetId);
      return lakeColumns((await this.deps.schemas.compile(sandboxId, dataset.schemaId)).tree);
    } catch (err) {
      if (err instanceof MeridianError && err.code === 'DATASET_NOT_FOUND') return undefined;
      throw err;
    }
  }
}
