/**
 * What the lake needs from other domains, as narrow interfaces given at assembly: datasets (catalog)
 * and field trees (schemas). The lake never reads their tables.
 */
import type { FieldDefinition } from '../schema/model.ts';
import type { RecordStore } from '../ingest/record-store.ts';

export interface LakeDataset {
  id: string;
  /** Also the dataset's table name in SQL. */
  name: string;
  schemaId: string;
}

export interface LakeCatalog {
  list(sandboxId: string): Promise<LakeDataset[]>;
  /** Throws a `DATASET_NOT_FOUND` problem when the dataset does not exist. */
  get(sandboxId: string, idOrName: string): Promise<LakeDataset>;
}

export interface LakeSchemas {
  compile(sandboxId: string, schemaId: string): Promise<{ tree: Record<string, FieldDefinition> }>;
}

/** The part of the record log the lake follows. */
export type LakeRecordSource = Pick<RecordStore, 'readRawAfter' | 'lastSeq'>;

/** Collectors the lake updates (Prometheus in the server). */
export interface LakeMetrics {
  pendingRecords(count: number): void;
  flushSeconds(seconds: number): void;
}
