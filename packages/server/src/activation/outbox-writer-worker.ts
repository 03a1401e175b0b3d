/**
 * The platform's bulk writer thread (segmentation/memberships/bulk-writer-thread.ts): a job's
 * large batches of memberships, each with the activation outbox rows of its entries and exits
 * (membership-outbox.ts `OutboxRows`) in the same transaction, so a crash keeps both or neither.
 */
import { serveBulkWrites } from '../segmentation/memberships/bulk-writer-thread.ts';
import type { SqliteDatabase } from '../storage/sqlite.ts';
import type { OutboxRows } from './membership-outbox.ts';
import { SqliteActivationStore } from './sqlite-store.ts';

let store: SqliteActivationStore | undefined;

serveBulkWrites((db: SqliteDatabase, along: unknown) => {
  store ??= new SqliteActivationStore(db);
  const { runs, items } = along as OutboxRows;
  for (const run of runs) store.createRunNow(run);
  store.enqueueNow(items);
});
