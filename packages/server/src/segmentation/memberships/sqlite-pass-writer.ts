/**
 * Embedded (SQLite) writer of a streaming pass's results: memberships, due times and identity
 * owners in one transaction. Written one store after another they were three, and on the event
 * loop each took its turn at the write gate, waited behind the projector's transaction in
 * progress, and paid its own commit (~0.1–0.3 ms each at light load, more under load); one
 * commit also means a crash cannot keep a pass's memberships and lose the due times that go
 * with them.
 *
 * @example
 *   const streaming = new StreamingAudiences(audiences, memberships, profiles, {
 *     dueTimes, owners, writePass: sqlitePassWriter(db, { memberships, dueTimes, owners }),
 *   });
 */
import type { SqliteDatabase } from '../../storage/sqlite.ts';
import type { SqliteMembershipStore } from './sqlite-store.ts';
import type { SqliteDueStore, SqliteIdentityOwnerStore } from './sqlite-timing-store.ts';
import type { PassWriter, PassWrites } from './streaming.ts';

export interface PassStores {
  memberships: Pick<SqliteMembershipStore, 'putNow'>;
  dueTimes: Pick<SqliteDueStore, 'setNow'>;
  owners: Pick<SqliteIdentityOwnerStore, 'assignNow'>;
}

export function sqlitePassWriter(db: SqliteDatabase, stores: PassStores): PassWriter {
  // The stores' own transactions run inside this one as savepoints.
  const writeAll = db.transaction((sandboxId: string, writes: PassWrites) => {
    stores.memberships.putNow(sandboxId, writes.memberships);
    stores.dueTimes.setNow(sandboxId, writes.dueChanges);
    stores.owners.assignNow(sandboxId, writes.assignments);
  });
  return async (sandboxId, writes) => {
    writeAll(sandboxId, writes);
  };
}
