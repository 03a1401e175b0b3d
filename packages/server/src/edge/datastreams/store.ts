/** Storage interface of datastreams; the embedded implementation is `sqlite-store.ts`. */
import type { Datastream } from './model.ts';

export interface StoredDatastream {
  sandboxId: string;
  datastream: Datastream;
}

export interface DatastreamStore {
  list(sandboxId: string): Promise<Datastream[]>;
  get(sandboxId: string, id: string): Promise<Datastream | undefined>;
  /** By configId alone, whatever its sandbox: the edge knows nothing else. */
  find(id: string): Promise<StoredDatastream | undefined>;
  put(sandboxId: string, datastream: Datastream): Promise<void>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
