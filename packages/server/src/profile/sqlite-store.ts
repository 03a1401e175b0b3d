/** Embedded (SQLite) implementation of the profile store: fragments, the record-identity index, merge policies. */
import { multiRowWriter } from '../storage/multi-row.ts';
import { boundLimit, migrate, prepared, readEach, type SqliteDatabase } from '../storage/sqlite.ts';
import type { JsonObject } from '../storage/json.ts';
import type { IdentityKey } from '../identity/graph.ts';
import { deepMerge, type ProfileFragment } from './merge.ts';
import type { MergePolicy } from './merge-policy.ts';
import type { ProfileStore, ProjectionBatch, TimelineEntry, TimelineQuery } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE merge_policies (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, id));
   CREATE TABLE profile_fragments (sandbox_id TEXT NOT NULL, identity TEXT NOT NULL, dataset_id TEXT NOT NULL,
     updated_at INTEGER NOT NULL, attributes TEXT NOT NULL, PRIMARY KEY (sandbox_id, identity, dataset_id)) WITHOUT ROWID;
   CREATE TABLE record_identities (sandbox_id TEXT NOT NULL, identity TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
     dataset_id TEXT NOT NULL, kind TEXT NOT NULL, is_primary INTEGER NOT NULL, in_profile INTEGER NOT NULL, event_type TEXT,
     PRIMARY KEY (sandbox_id, identity, ts, seq)) WITHOUT ROWID;
   CREATE INDEX record_identities_dataset ON record_identities (sandbox_id, dataset_id, ts);
   CREATE TABLE profile_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
];

/**
 * Up to this many identities, fragments are read with one point read each, all in one read
 * transaction (`readTogether`), rather than one JSON IN-list.
 */
const FRAGMENT_KEYS_ONE_BY_ONE = 8;

/** Event index rows one read of many people may return before it falls back to a read per person. */
export const EVENT_ROWS_PER_PASS = 20_000;

interface TimelineRow {
  seq: number;
  ts: number;
  dataset_id: string;
  event_type: string | null;
}

export class SqliteProfileStore implements ProfileStore {
  private readonly applyBatch;
  private readonly getFragment;
  private readonly fragmentsOfMany;
  private readonly eventSeqsOfMany;
  private readonly putWatermark;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'profile', MIGRATIONS);
    // IN (subquery), not a join with json_each: with a join SQLite may scan the sandbox's fragments once per identity.
    this.fragmentsOfMany = db
      .prepare('SELECT identity, dataset_id, updated_at, attributes FROM profile_fragments WHERE sandbox_id = ? AND identity IN (SELECT value FROM json_each(?))')
      .raw(true);
    this.eventSeqsOfMany = db
      .prepare(
        `SELECT identity, seq, ts FROM record_identities
         WHERE sandbox_id = ? AND identity IN (SELECT value FROM json_each(?)) AND kind = 'event' AND is_primary = 1 AND in_profile = 1 AND ts >= ? ${boundLimit()}`,
      )
      .raw(true);
    this.getFragment = db.prepare('SELECT updated_at, attributes FROM profile_fragments WHERE sandbox_id = ? AND identity = ? AND dataset_id = ?');
    const putFragment = db.prepare(
      `INSERT INTO profile_fragments (sandbox_id, identity, dataset_id, updated_at, attributes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sandbox_id, identity, dataset_id) DO UPDATE SET updated_at = excluded.updated_at, attributes = excluded.attributes`,
    );
    this.putWatermark = db.prepare("INSERT INTO profile_state (key, value) VALUES ('watermark', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    const putIndex = multiRowWriter(db, 'INSERT OR IGNORE INTO record_identities (sandbox_id, identity, seq, ts, dataset_id, kind, is_primary, in_profile, event_type)', 9);
    this.applyBatch = db.transaction((sandboxId: string, batch: ProjectionBatch) => {
      for (const f of batch.fragments) {
        const existing = this.getFragment.get(sandboxId, f.identity, f.datasetId) as { updated_at: number; attributes: string } | undefined;
        if (!existing) {
          putFragment.run(sandboxId, f.identity, f.datasetId, f.updatedAt, JSON.stringify(f.attributes));
          continue;
        }
        const current = JSON.parse(existing.attributes) as JsonObject;
        // Within one dataset, a newer record overwrites the attributes it carries; an older one
        // (arriving late) only fills attributes the fragment does not have yet.
        const merged = f.updatedAt >= existing.updated_at ? deepMerge(current, f.attributes) : deepMerge(structuredClone(f.attributes), current);
        putFragment.run(sandboxId, f.identity, f.datasetId, Math.max(existing.updated_at, f.updatedAt), JSON.stringify(merged));
      }
      putIndex(batch.index.map((e) => [sandboxId, e.identity, e.seq, e.timestamp, e.datasetId, e.kind, e.primary ? 1 : 0, e.inProfile ? 1 : 0, e.eventType ?? null]));
      if (batch.watermark !== undefined) this.putWatermark.run(batch.watermark);
    });
  }

  async listPolicies(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT doc FROM merge_policies WHERE sandbox_id = ? ORDER BY rowid').all(sandboxId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as MergePolicy);
  }

  async putPolicy(sandboxId: string, policy: MergePolicy) {
    prepared(this.db, 'INSERT INTO merge_policies (sandbox_id, id, doc) VALUES (?, ?, ?) ON CONFLICT (sandbox_id, id) DO UPDATE SET doc = excluded.doc')
      .run(sandboxId, policy.id, JSON.stringify(policy));
  }

  async deletePolicy(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM merge_policies WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async apply(sandboxId: string, batch: ProjectionBatch) {
    // IMMEDIATE: the batch reads fragments before it writes; a deferred transaction could not upgrade
    // to a write lock when a batch worker commits in between (SQLITE_BUSY).
    this.applyBatch.immediate(sandboxId, batch);
  }

  async watermark() {
    return (prepared(this.db, "SELECT value FROM profile_state WHERE key = 'watermark'").pluck().get() as number | undefined) ?? 0;
  }

  async setWatermark(seq: number) {
    this.putWatermark.run(seq);
  }

  async fragments(sandboxId: string, identities: readonly IdentityKey[]): Promise<ProfileFragment[]> {
    if (identities.length <= FRAGMENT_KEYS_ONE_BY_ONE) {
      // A person's few identities (profile reads, the edge): a prepared point read each is cheapest.
      const stmt = prepared(this.db, 'SELECT identity, dataset_id, updated_at, attributes FROM profile_fragments WHERE sandbox_id = ? AND identity = ?');
      const out: ProfileFragment[] = [];
      readEach(this.db, identities, (identity) => {
        for (const r of stmt.all(sandboxId, identity) as { identity: string; dataset_id: string; updated_at: number; attributes: string }[]) {
          out.push({ identity: r.identity, datasetId: r.dataset_id, updatedAt: r.updated_at, attributes: JSON.parse(r.attributes) as JsonObject });
        }
      });
      return out;
    }
    // Many identities (bulk assembly) in one statement, rows as arrays: a call into SQLite per
    // identity, or an object per row, cost more than the seek itself.
    const rows = this.fragmentsOfMany.all(sandboxId, JSON.stringify(identities)) as [string, string, number, string][];
    return rows.map(([identity, datasetId, updatedAt, attributes]) => ({ identity, datasetId, updatedAt, attributes: JSON.parse(attributes) as JsonObject }));
  }

  async timeline(sandboxId: string, identities: readonly IdentityKey[], q: TimelineQuery): Promise<TimelineEntry[]> {
    const types = q.eventTypes && q.eventTypes.length > 0 ? q.eventTypes : null;
    const stmt = prepared(
      this.db,
      `SELECT seq, ts, dataset_id, event_type FROM record_identities
       WHERE sandbox_id = @sandboxId AND identity = @identity AND kind = 'event' AND is_primary = 1 AND in_profile = 1
         AND (@from IS NULL OR ts >= @from) AND (@to IS NULL OR ts < @to)
         AND (@beforeTs IS NULL OR ts < @beforeTs OR (ts = @beforeTs AND seq < @beforeSeq))
         ${types ? `AND event_type IN (${types.map(() => '?').join(', ')})` : ''}
       ORDER BY ts DESC, seq DESC ${boundLimit('@limit')}`,
    );
    const rows: TimelineRow[] = [];
    readEach(this.db, identities, (identity) => {
      const params = {
        sandboxId,
        identity,
        from: q.from ?? null,
        to: q.to ?? null,
        beforeTs: q.before?.timestamp ?? null,
        beforeSeq: q.before?.seq ?? null,
        limit: q.limit,
      };
      rows.push(...((types ? stmt.all(params, ...types) : stmt.all(params)) as TimelineRow[]));
    });
    return newestFirst(rows, q.limit).map((r) => ({ seq: r.seq, timestamp: r.ts, datasetId: r.dataset_id, ...(r.event_type ? { eventType: r.event_type } : {}) }));
  }

  async eventSeqs(sandboxId: string, identities: readonly IdentityKey[], q: { limit: number; from?: number }) {
    const stmt = prepared(
      this.db,
      `SELECT seq, ts FROM record_identities
       WHERE sandbox_id = ? AND identity = ? AND kind = 'event' AND is_primary = 1 AND in_profile = 1 AND ts >= ?
       ORDER BY ts DESC, seq DESC ${boundLimit()}`,
    );
    const from = q.from ?? Number.MIN_SAFE_INTEGER;
    // The statement is shared (prepared once), so its mode is set on every call.
    if (identities.length === 1) return stmt.pluck(true).all(sandboxId, identities[0], from, q.limit) as number[];
    const rows: { seq: number; ts: number }[] = [];
    readEach(this.db, identities, (identity) => rows.push(...(stmt.pluck(false).all(sandboxId, identity, from, q.limit) as { seq: number; ts: number }[])));
    return newestFirst(rows, q.limit).map((r) => r.seq);
  }

  async eventSeqsOfPeople(sandboxId: string, people: readonly (readonly IdentityKey[])[], q: { limit: number; from?: number }) {
    const identities = people.flat();
    if (people.length <= 1 || identities.length <= FRAGMENT_KEYS_ONE_BY_ONE) return Promise.all(people.map((keys) => this.eventSeqs(sandboxId, keys, q)));
    // One statement for the whole pass, capped: a person with a long history (or an open window)
    // could make it read far more than `limit` rows each, so past the cap each person is read alone.
    const cap = EVENT_ROWS_PER_PASS;
    const rows = this.eventSeqsOfMany.all(sandboxId, JSON.stringify(identities), q.from ?? Number.MIN_SAFE_INTEGER, cap + 1) as [string, number, number][];
    if (rows.length > cap) return Promise.all(people.map((keys) => this.eventSeqs(sandboxId, keys, q)));
    const byIdentity = new Map<string, { seq: number; ts: number }[]>();
    for (const [identity, seq, ts] of rows) {
      const list = byIdentity.get(identity);
      if (list) list.push({ seq, ts });
      else byIdentity.set(identity, [{ seq, ts }]);
    }
    return people.map((keys) => {
      const own = keys.length === 1 ? (byIdentity.get(keys[0]) ?? []) : keys.flatMap((k) => byIdentity.get(k) ?? []);
      return newestFirst(own, q.limit).map((r) => r.seq);
    });
  }

  async profileIdentities(sandboxId: string, options: { after?: IdentityKey; limit: number; sample?: boolean }) {
    const params = { sandboxId, after: options.after ?? '', limit: options.limit };
    const fragments = `SELECT identity FROM profile_fragments WHERE sandbox_id = @sandboxId AND identity > @after`;
    const events = `SELECT DISTINCT identity FROM record_identities WHERE sandbox_id = @sandboxId AND identity > @after AND kind = 'event' AND is_primary = 1 AND in_profile = 1`;
    if (options.sample) return prepared(this.db, `SELECT identity FROM (${fragments} UNION ${events}) ORDER BY random() ${boundLimit('@limit')}`).pluck().all(params) as IdentityKey[];
    // Each side walks its primary key from `after` and stops after `limit` identities, so a page costs its size, not the sandbox's.
    return prepared(
      this.db,
      `SELECT identity FROM (SELECT * FROM (${fragments} ORDER BY identity ${boundLimit('@limit')}) UNION SELECT * FROM (${events} ORDER BY identity ${boundLimit('@limit')}))
       ORDER BY identity ${boundLimit('@limit')}`,
    ).pluck().all(params) as IdentityKey[];
  }

  async recordSeqs(sandboxId: string, identities: readonly IdentityKey[]) {
    const stmt = prepared(this.db, 'SELECT seq FROM record_identities WHERE sandbox_id = ? AND identity = ?').pluck();
    const seqs = new Set<number>();
    for (const identity of identities) for (const seq of stmt.all(sandboxId, identity) as number[]) seqs.add(seq);
    return [...seqs].sort((a, b) => a - b);
  }

  async deleteIdentities(sandboxId: string, identities: readonly IdentityKey[]) {
    const delFragments = prepared(this.db, 'DELETE FROM profile_fragments WHERE sandbox_id = ? AND identity = ?');
    const delIndex = prepared(this.db, 'DELETE FROM record_identities WHERE sandbox_id = ? AND identity = ?');
    this.db.transaction(() => {
      for (const identity of identities) {
        delFragments.run(sandboxId, identity);
        delIndex.run(sandboxId, identity);
      }
    })();
  }

  async deleteDataset(sandboxId: string, datasetId: string) {
    prepared(this.db, 'DELETE FROM profile_fragments WHERE sandbox_id = ? AND dataset_id = ?').run(sandboxId, datasetId);
    prepared(this.db, 'DELETE FROM record_identities INDEXED BY record_identities_dataset WHERE sandbox_id = ? AND dataset_id = ?').run(sandboxId, datasetId);
  }

  async expire(sandboxId: string, datasetId: string, beforeMs: number) {
    return prepared(this.db, 'DELETE FROM record_identities INDEXED BY record_identities_dataset WHERE sandbox_id = ? AND dataset_id = ? AND ts < ?')
      .run(sandboxId, datasetId, beforeMs).changes;
  }

  async deleteSandbox(sandboxId: string) {
    for (const table of ['merge_policies', 'profile_fragments', 'record_identities']) {
      prepared(this.db, `DELETE FROM ${table} WHERE sandbox_id = ?`).run(sandboxId);
    }
  }
}

/** Rows of several identities' timelines as one: each record once (it can carry two of them), newest first, at most `limit`. */
function newestFirst<T extends { seq: number; ts: number }>(rows: readonly T[], limit: number): T[] {
  const unique = new Map(rows.map((r) => [r.seq, r]));
  return [...unique.values()].sort((a, b) => b.ts - a.ts || b.seq - a.seq).slice(0, limit);
}
