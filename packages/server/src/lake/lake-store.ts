/**
 * Storage interface of the lake's own bookkeeping: the watermark (last record-log `seq` written to
 * Parquet) and the catalog of live Parquet files. The catalog, not the directory listing, says
 * what the lake holds, so a half-written or orphaned file is never read. Embedded implementation:
 * `sqlite-lake-store.ts`.
 */

export interface LakeFile {
  /** Relative to the lake root, e.g. `sandbox=sbx_1/dataset=ds_2/day=2026-11-01/part-…parquet`. */
  path: string;
  sandboxId: string;
  datasetId: string;
  /** UTC day of the records' time, `YYYY-MM-DD`. */
  day: string;
  firstSeq: number;
  lastSeq: number;
  rowCount: number;
  /** Top-level column names the file was written with (older files may lack newer fields). */
  columns: string[];
}

export interface LakeStore {
  watermark(): Promise<number>;
  /** Registers the files of one slice and moves the watermark, in one transaction. */
  commitSlice(files: readonly LakeFile[], watermark: number): Promise<void>;
  /** Live files of a sandbox, or of one of its datasets, in `firstSeq` order. */
  files(sandboxId: string, datasetId?: string): Promise<LakeFile[]>;
  /** Every live file path, for removing orphans at start. */
  allPaths(): Promise<Set<string>>;
  /** Swaps files for their rewrites (retention), in one transaction. */
  replaceFiles(removed: readonly string[], added: readonly LakeFile[]): Promise<void>;
  deleteDataset(sandboxId: string, datasetId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
