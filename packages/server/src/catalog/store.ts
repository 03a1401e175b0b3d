/** Storage interface of the catalog; the embedded implementation is `sqlite-store.ts`. */
import type { Dataset } from './model.ts';

export interface DatasetStore {
  list(sandboxId: string): Promise<Dataset[]>;
  /** Every dataset of every sandbox with a retention period, for the retention sweep. */
  listWithRetention(): Promise<(Dataset & { sandboxId: string })[]>;
  get(sandboxId: string, id: string): Promise<Dataset | undefined>;
  getByName(sandboxId: string, name: string): Promise<Dataset | undefined>;
  put(sandboxId: string, dataset: Dataset): Promise<void>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  countBySchema(sandboxId: string, schemaId: string): Promise<number>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
