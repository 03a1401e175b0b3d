/**
 * Storage interface of the durable record log: every accepted record, in acceptance order, and
 * every rejected record with its reasons. The embedded implementation is `sqlite-record-store.ts`.
 */
import type { FieldError } from '../errors.ts';
import type { JsonObject } from '../storage/json.ts';

/** A record's own time (its `timestamp`, epoch ms), or undefined when it brings none (see `NewRecord.idTime`). */
export function ownTimeOf(record: JsonObject): number | undefined {
  const ts = record.timestamp;
  if (typeof ts !== 'string') return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface NewRecord {
  sandboxId: string;
  datasetId: string;
  /**
   * The record's `_id`: ingesting a record whose `_id` and own time (`idTime`) match one already
   * in the dataset is a no-op.
   */
  recordId: string;
  /** Record time in epoch milliseconds: its `timestamp`, else the ingestion time. */
  timestamp: number;
  /**
   * The record's own time (its `timestamp`, epoch ms) when it brings one; absent (0) when it does
   * not. Part of what makes a record the same record: the same event sent again carries the same
   * time; a record without a time of its own is the same record by its `_id` alone.
   */
  idTime?: number;
  batchId?: string;
  /** The record as JSON text. */
  body: string;
}

export interface StoredRecord extends NewRecord {
  /** Position in the log; increases with every accepted record. */
  seq: number;
  ingestedAt: number;
}

/** A stored record with its body as the bytes logged (UTF-8 JSON), for followers that copy it without reading it (the lake). */
export interface RawStoredRecord extends Omit<StoredRecord, 'body'> {
  body: Uint8Array;
}

export interface NewRejection {
  sandboxId: string;
  datasetId: string;
  batchId?: string;
  source: string;
  /** Index of the record in its request, or row number in its file (1-based, header excluded). */
  index: number;
  errors: FieldError[];
  /** The record or row as received (truncated to 64 KiB). */
  body: string;
}

export interface StoredRejection extends NewRejection {
  id: number;
  rejectedAt: number;
}

export interface AppendResult {
  inserted: number;
  duplicateIndexes: number[];
  /** The log position of each input record, or undefined for a duplicate. */
  seqs: (number | undefined)[];
}

/** What ingestion needs of the log: appending (a store, a group commit over one, or the writer thread). */
export type RecordAppender = Pick<RecordStore, 'append'>;

export interface RecordStore {
  /** Appends in one durable transaction; returns which inputs were duplicates of earlier `_id`s. */
  append(records: readonly NewRecord[], rejections?: readonly NewRejection[]): Promise<AppendResult>;
  /** Records after `seq` in log order, for consumers that follow the log (the profile projector). */
  readAfter(seq: number, limit: number): Promise<StoredRecord[]>;
  /** As `readAfter`, bodies as their UTF-8 bytes (never decoded into strings). */
  readRawAfter(seq: number, limit: number): Promise<RawStoredRecord[]>;
  lastSeq(): Promise<number>;
  /** The records at these log positions (missing ones are skipped). */
  readSeqs(seqs: readonly number[]): Promise<StoredRecord[]>;
  /** Removes records by log position (privacy delete); returns how many. */
  deleteSeqs(seqs: readonly number[]): Promise<number>;
  countByDataset(sandboxId: string, datasetId: string): Promise<number>;
  /** Records of one dataset, newest first, for inspection. */
  listByDataset(sandboxId: string, datasetId: string, options: { limit: number; beforeSeq?: number; batchId?: string }): Promise<StoredRecord[]>;
  listRejections(sandboxId: string, filter: { datasetId?: string; batchId?: string; afterId?: number; limit: number }): Promise<StoredRejection[]>;
  /**
   * Rejected records whose text mentions any of the values (case-insensitive), for privacy
   * requests: rejected records are not indexed by identity.
   */
  rejectionsMentioning(sandboxId: string, values: readonly string[]): Promise<StoredRejection[]>;
  deleteRejections(sandboxId: string, ids: readonly number[]): Promise<number>;
  /** Deletes records of a dataset whose timestamp is before `beforeMs`; returns how many. */
  expire(sandboxId: string, datasetId: string, beforeMs: number): Promise<number>;
  deleteDataset(sandboxId: string, datasetId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
