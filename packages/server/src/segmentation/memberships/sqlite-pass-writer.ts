/**
 * Embedded (SQLite) writer of a streaming pass's results: memberships, due times and identity
 * owners in one transaction, so a crash keeps all three or none (written one store after another,
 * a crash between them could keep memberships whose due times, and so their time-based exits,
 * were lost). Another owner's writes that must not be lost with the pass (the activation outbox's
 * rows for its entries and exits) join the same transaction through `alongside`. Speed is the same
 * as three transactions within the machine's noise (bench/README.md, session 9).
 *
 * @example
 *   const streaming = new StreamingAudiences(audiences, memberships, profiles, {
 *     dueTimes, owners, writePass: sqlitePassWriter(db, { memberships, dueTimes, owners }),
 *   });
 */
import type { SqliteDatabase } from '../../storage/sqlite.ts';
import type { SqliteMembershipStore } from './sqlite-store.ts';
import type { SqliteDueStore, SqliteIdentityOwnerStore } from './sqlite-timing-store.ts';
import type { Membership } from './store.ts';
import type { PassWriter, PassWrites } from './streaming.ts';

/**
 * Writes committed with a pass's memberships: `write` runs inside the pass's transaction (what it
 * writes commits or rolls back with the pass), then `committed` or `failed` once it is over.
 */
export interface PassAlongside {
  write(sandboxId: string, changes: readonly Membership[]): void;
  committed(): void;
  failed(): void;
}

export interface PassStores {
  memberships: Pick<SqliteMembershipStore, 'putNow'>;
  dueTimes: Pick<SqliteDueStore, 'setNow'>;
  owners: Pick<SqliteIdentityOwnerStore, 'assignNow'>;
  alongside?: PassAlongside;
}

export function sqlitePassWriter(db: SqliteDatabase, stores: PassStores): PassWriter {
  const { alongside } = stores;
  // The stores' own transactions run inside this one as savepoints.
  const writeAll = db.transaction((sandboxId: string, writes: PassWrites) => {
    stores.memberships.putNow(sandboxId, writes.memberships);
    stores.dueTimes.setNow(sandboxId, writes.dueChanges);
    stores.owners.assignNow(sandboxId, writes.assignments);
    if (writes.changes.length > 0) alongside?.write(sandboxId, writes.changes);
  });
  return async (sandboxId, writes) => {
    try {
      writeAll(sandboxId, writes);
    } catch (err) {
      alongside?.failed();
      throw err;
    }
    alongside?.committed();
  };
}
