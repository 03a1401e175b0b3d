/**
 * Writes one slice of the record log into the lake: reads a bounded slice after the watermark,
 * groups it by sandbox, dataset and UTC day, writes one typed Parquet file per group, then
 * registers the files and moves the watermark in one transaction. A crash before that commit
 * re-writes the same slice into the same file names, so nothing is lost or duplicated.
 * Runs in the flush worker thread (`flush-worker.ts`), or in-process over an in-memory database.
 *
 * @example
 *   const slices = new SliceWriter({ records, store, parquet, planColumns });
 *   const { records: written } = await slices.writeSliceAfter(await store.watermark(), await records.lastSeq());
 */
import type { RawStoredRecord, StoredRecord } from '../ingest/record-store.ts';
import type { ColumnPlanner, DatasetRef } from './column-plans.ts';
import { partFilePath, utcDay } from './lake-layout.ts';
import { rowEncoder, stageLines, stageWrapped } from './lake-rows.ts';
import type { LakeRecordSource } from './lake-sources.ts';
import type { LakeFile, LakeStore } from './lake-store.ts';
import type { LakeColumn } from './lake-types.ts';
import type { ParquetWriter } from './parquet-writer.ts';

/** Records read from the log per slice: bounds the memory and time of one step. */
export const DEFAULT_SLICE_SIZE = 20_000;

export interface SliceResult {
  /** Records read from the log (0: none left after the watermark, which moved to `until`). */
  records: number;
  /** Time the slice took, for the flush-duration metric. */
  seconds: number;
}

/** One step of a flush, wherever it runs (worker thread or in-process). */
export interface SliceWriting {
  /**
   * Writes the next slice after `watermark` and moves the watermark past it. When the log holds
   * nothing after `watermark`, everything up to `until` was deleted from it (seqs are never
   * reused), so the watermark moves to `until`.
   */
  writeSliceAfter(watermark: number, until: number): Promise<SliceResult>;
  /** Releases what writes the slices (the worker thread); called once no slice is in progress. */
  close(): Promise<void>;
}

export interface SliceWriterDeps {
  records: LakeRecordSource;
  store: LakeStore;
  parquet: ParquetWriter;
  planColumns: ColumnPlanner;
  sliceSize?: number;
}

/** Records of one sandbox, dataset and day within a slice, in log order. */
export interface SliceGroup<R extends SliceRecord = RawStoredRecord> {
  sandboxId: string;
  datasetId: string;
  day: string;
  records: R[];
}

/** What grouping reads of a record. */
type SliceRecord = Pick<StoredRecord, 'sandboxId' | 'datasetId' | 'timestamp'>;

/** A logged record with its body decoded (for the path that reads the values). */
function decoded(record: RawStoredRecord): StoredRecord {
  const body = Buffer.from(record.body.buffer, record.body.byteOffset, record.body.byteLength).toString('utf8');
  return { ...record, body };
}

/**
 * Splits a slice of the log into the groups that become files.
 *
 * @example
 *   groupSlice(records).map((g) => `${g.datasetId}/${g.day}`); // ['ds_1/2026-11-01', 'ds_1/2026-11-02']
 */
export function groupSlice<R extends SliceRecord>(records: readonly R[]): SliceGroup<R>[] {
  const groups = new Map<string, SliceGroup<R>>();
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

const datasetKey = (ref: DatasetRef) => `${ref.sandboxId}\u0000${ref.datasetId}`;

export class SliceWriter implements SliceWriting {
  private readonly sliceSize: number;

  constructor(private readonly deps: SliceWriterDeps) {
    this.sliceSize = deps.sliceSize ?? DEFAULT_SLICE_SIZE;
  }

  /** Nothing to release: the records, store and Parquet writer belong to the caller. */
  async close(): Promise<void> {}

  async writeSliceAfter(watermark: number, until: number): Promise<SliceResult> {
    const started = performance.now();
    const records = await this.deps.records.readRawAfter(watermark, this.sliceSize);
    if (records.length === 0) {
      if (until > watermark) await this.deps.store.commitSlice([], until);
      return { records: 0, seconds: (performance.now() - started) / 1000 };
    }
    const groups = groupSlice(records);
    const columnsByDataset = await this.planColumns(groups);
    const files: LakeFile[] = [];
    for (const group of groups) {
      const columns = columnsByDataset.get(datasetKey(group));
      if (columns === undefined) throw new Error(`no column plan came back for dataset ${group.datasetId} of sandbox ${group.sandboxId}`);
      if (columns === null) continue; // the dataset was deleted; its records leave with it
      const first = group.records[0].seq;
      const path = partFilePath(group.sandboxId, group.datasetId, group.day, first);
      await this.writeGroup(path, columns, group.records);
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
    return { records: records.length, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * One group's file: first the record bodies as logged, typed by DuckDB (no parsing in JS); if a
   * value does not fit its column (a record older than a schema change, say), the group is written
   * again with every value shaped here, where what does not fit becomes NULL.
   */
  private async writeGroup(path: string, columns: readonly LakeColumn[], records: readonly RawStoredRecord[]): Promise<void> {
    const shaped = () => {
      const encode = rowEncoder(columns);
      return stageLines(records.map((r) => encode(decoded(r))));
    };
    if (columns.some((c) => c.name === '_body')) {
      await this.deps.parquet.write(path, columns, shaped());
      return;
    }
    try {
      await this.deps.parquet.write(path, columns, stageWrapped(records), 'wrapped');
    } catch {
      await this.deps.parquet.write(path, columns, shaped());
    }
  }

  /** The columns of every dataset in the slice, asked for in one call. */
  private async planColumns(groups: readonly SliceGroup<SliceRecord>[]): Promise<Map<string, LakeColumn[] | null>> {
    const datasets = new Map<string, DatasetRef>();
    for (const { sandboxId, datasetId } of groups) datasets.set(datasetKey({ sandboxId, datasetId }), { sandboxId, datasetId });
    const plans = await this.deps.planColumns([...datasets.values()]);
    return new Map(plans.map((plan) => [datasetKey(plan), plan.columns]));
  }
}
