/** Storage interface of the schema domain; the embedded implementation is `sqlite-store.ts`. */
import type { SchemaDoc } from './model.ts';

export interface SchemaStore {
  list(sandboxId: string): Promise<SchemaDoc[]>;
  get(sandboxId: string, id: string): Promise<SchemaDoc | undefined>;
  getByName(sandboxId: string, name: string): Promise<SchemaDoc | undefined>;
  put(sandboxId: string, schema: SchemaDoc): Promise<void>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
