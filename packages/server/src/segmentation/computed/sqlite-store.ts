/** Embedded (SQLite) implementation of the computed-attribute store: one JSON document per definition, one row per profile and attribute. */
import type { IdentityKey } from '../../identity/graph.ts';
import type { JsonValue } from '../../storage/json.ts';
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Contribution } from './aggregate.ts';
import type { ComputedAttribute } from './model.ts';
import type { ComputedAttributeStore, ComputedValue } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE computed_attributes (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE UNIQUE INDEX computed_attributes_name ON computed_attributes (sandbox_id, name);
   CREATE TABLE computed_attribute_values (sandbox_id TEXT NOT NULL, profile_id TEXT NOT NULL, attribute_id TEXT NOT NULL,
     identity TEXT NOT NULL, keys_hash TEXT NOT NULL, version INTEGER NOT NULL, max_seq INTEGER NOT NULL,
     value TEXT NOT NULL, contributions TEXT NOT NULL, expires_at INTEGER, updated_at INTEGER NOT NULL,
     PRIMARY KEY (sandbox_id, profile_id, attribute_id)) WITHOUT ROWID;
   CREATE INDEX computed_attribute_values_expiry ON computed_attribute_values (expires_at) WHERE expires_at IS NOT NULL;
   CREATE INDEX computed_attribute_values_attribute ON computed_attribute_values (sandbox_id, attribute_id);
   CREATE INDEX computed_attribute_values_identity ON computed_attribute_values (sandbox_id, identity);`,
];

interface Row {
  sandbox_id: string;
  profile_id: string;
  attribute_id: string;
  identity: string;
  keys_hash: string;
  version: number;
  max_seq: number;
  value: string;
  contributions: string;
  expires_at: number | null;
  updated_at: number;
}

function fromRow(r: Row): ComputedValue {
  return {
    attributeId: r.attribute_id,
    profileId: r.profile_id,
    identity: r.identity,
    keysHash: r.keys_hash,
    version: r.version,
    maxSeq: r.max_seq,
    value: JSON.parse(r.value) as JsonValue,
    contributions: JSON.parse(r.contributions) as Contribution[],
    expiresAt: r.expires_at,
    updatedAt: r.updated_at,
  };
}

export class SqliteComputedAttributeStore implements ComputedAttributeStore {
  private readonly putAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'computed-attributes', MIGRATIONS);
    const put = db.prepare(
      `INSERT INTO computed_attribute_values (sandbox_id, profile_id, attribute_id, identity, keys_hash, version, max_seq, value, contributions, expires_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sandbox_id, profile_id, attribute_id) DO UPDATE SET identity = excluded.identity, keys_hash = excluded.keys_hash,
         version = excluded.version, max_seq = excluded.max_seq, value = excluded.value, contributions = excluded.contributions,
         expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    );
    this.putAll = db.transaction((sandboxId: string, values: readonly ComputedValue[]) => {
      for (const v of values) {
        put.run(sandboxId, v.profileId, v.attributeId, v.identity, v.keysHash, v.version, v.maxSeq, JSON.stringify(v.value), JSON.stringify(v.contributions), v.expiresAt, v.updatedAt);
      }
    });
  }

  async list(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM computed_attributes WHERE sandbox_id = ? ORDER BY name').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as ComputedAttribute);
  }

  async get(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM computed_attributes WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as ComputedAttribute) : undefined;
  }

  async put(sandboxId: string, attribute: ComputedAttribute) {
    prepared(
      this.db,
      `INSERT INTO computed_attributes (sandbox_id, id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
    ).run(sandboxId, attribute.id, attribute.name, JSON.stringify(attribute));
  }

  async delete(sandboxId: string, id: string) {
    return this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM computed_attribute_values WHERE sandbox_id = ? AND attribute_id = ?').run(sandboxId, id);
      return prepared(this.db, 'DELETE FROM computed_attributes WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
    })();
  }

  async valuesOf(sandboxId: string, profileId: string) {
    const rows = prepared(this.db, 'SELECT * FROM computed_attribute_values WHERE sandbox_id = ? AND profile_id = ?').all(sandboxId, profileId) as Row[];
    return rows.map(fromRow);
  }

  async putValues(sandboxId: string, values: readonly ComputedValue[]) {
    if (values.length > 0) this.putAll(sandboxId, values);
  }

  async expired(now: number, limit: number) {
    const rows = prepared(
      this.db,
      `SELECT * FROM computed_attribute_values INDEXED BY computed_attribute_values_expiry
       WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at ${boundLimit()}`,
    ).all(now, limit) as Row[];
    return rows.map((r) => ({ ...fromRow(r), sandboxId: r.sandbox_id }));
  }

  async deleteStale(sandboxId: string, profileId: string, identities: readonly IdentityKey[]) {
    const stale = prepared(this.db, 'DELETE FROM computed_attribute_values WHERE sandbox_id = ? AND identity = ? AND profile_id != ?');
    this.db.transaction(() => {
      for (const identity of identities) stale.run(sandboxId, identity, profileId);
    })();
  }

  async deleteProfile(sandboxId: string, profileId: string, identities: readonly IdentityKey[]) {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM computed_attribute_values WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
      const byIdentity = prepared(this.db, 'DELETE FROM computed_attribute_values WHERE sandbox_id = ? AND identity = ?');
      for (const identity of identities) byIdentity.run(sandboxId, identity);
    })();
  }

  async deleteSandbox(sandboxId: string) {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM computed_attribute_values WHERE sandbox_id = ?').run(sandboxId);
      prepared(this.db, 'DELETE FROM computed_attributes WHERE sandbox_id = ?').run(sandboxId);
    })();
  }
}
