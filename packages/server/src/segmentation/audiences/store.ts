/** Storage interface of audiences; the embedded implementation is `sqlite-store.ts`. */
import type { Audience } from './model.ts';

export interface AudienceStore {
  list(sandboxId: string): Promise<Audience[]>;
  get(sandboxId: string, id: string): Promise<Audience | undefined>;
  put(sandboxId: string, audience: Audience): Promise<void>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
