/** Storage interface of Segment-spec sources; the embedded implementation is `sqlite-store.ts`. */
import type { Source } from './model.ts';

export interface SourceStore {
  list(sandboxId: string): Promise<Source[]>;
  get(sandboxId: string, id: string): Promise<Source | undefined>;
  /** By the SHA-256 of a write key, whatever the sandbox. */
  findByKeyHash(hash: string): Promise<{ sandboxId: string; source: Source } | undefined>;
  put(sandboxId: string, source: Source, keyHash: string): Promise<void>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
