/**
 * Embedded (SQLite) decisioning store: offers, activities and allocations as JSON documents; for
 * reports, one row per visitor × activity × experience (impressions, conversions, revenue, the
 * audiences they were in) and daily aggregates per activity × experience.
 */
import { migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { Activity, Allocation, Offer } from './model.ts';
import type { AudienceTotals, ConversionRow, DailyTotals, DecisioningStore, ExperienceTotals, ImpressionRow } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE decisioning_offers (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE TABLE decisioning_activities (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE INDEX decisioning_activities_status ON decisioning_activities (status, sandbox_id);
   CREATE TABLE decisioning_allocations (sandbox_id TEXT NOT NULL, activity_id TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, activity_id));
   CREATE TABLE decisioning_visitors (sandbox_id TEXT NOT NULL, activity_id TEXT NOT NULL, visitor_key TEXT NOT NULL, experience_id TEXT NOT NULL,
     audiences TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
     impressions INTEGER NOT NULL, conversions INTEGER NOT NULL, revenue REAL NOT NULL,
     PRIMARY KEY (sandbox_id, activity_id, visitor_key, experience_id));
   CREATE INDEX decisioning_visitors_key ON decisioning_visitors (sandbox_id, visitor_key);
   CREATE TABLE decisioning_daily (sandbox_id TEXT NOT NULL, activity_id TEXT NOT NULL, experience_id TEXT NOT NULL, day TEXT NOT NULL,
     visitors INTEGER NOT NULL, impressions INTEGER NOT NULL, conversions INTEGER NOT NULL, revenue REAL NOT NULL,
     PRIMARY KEY (sandbox_id, activity_id, experience_id, day));`,
];

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

export class SqliteDecisioningStore implements DecisioningStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'decisioning', MIGRATIONS);
  }

  async listOffers(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM decisioning_offers WHERE sandbox_id = ? ORDER BY name, id').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as Offer);
  }

  async getOffer(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM decisioning_offers WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as Offer) : undefined;
  }

  async putOffer(sandboxId: string, offer: Offer) {
    prepared(
      this.db,
      `INSERT INTO decisioning_offers (sandbox_id, id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
    ).run(sandboxId, offer.id, offer.name, JSON.stringify(offer));
  }

  async deleteOffer(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM decisioning_offers WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async listActivities(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM decisioning_activities WHERE sandbox_id = ? ORDER BY name, id').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as Activity);
  }

  async sandboxesWithLiveActivities() {
    return prepared(this.db, "SELECT DISTINCT sandbox_id FROM decisioning_activities WHERE status = 'live'").pluck().all() as string[];
  }

  async getActivity(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM decisioning_activities WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as Activity) : undefined;
  }

  async putActivity(sandboxId: string, activity: Activity) {
    prepared(
      this.db,
      `INSERT INTO decisioning_activities (sandbox_id, id, name, status, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, status = excluded.status, doc = excluded.doc`,
    ).run(sandboxId, activity.id, activity.name, activity.status, JSON.stringify(activity));
  }

  // Transactions here read, then write: BEGIN IMMEDIATE takes the write lock first, so another
  // connection's commit in between (the projector's, say) makes this one wait instead of failing
  // with SQLITE_BUSY (a deferred transaction cannot upgrade a stale read snapshot).
  async deleteActivity(sandboxId: string, id: string) {
    return this.db.transaction(() => {
      for (const table of ['decisioning_allocations', 'decisioning_visitors', 'decisioning_daily']) {
        prepared(this.db, `DELETE FROM ${table} WHERE sandbox_id = ? AND activity_id = ?`).run(sandboxId, id);
      }
      return prepared(this.db, 'DELETE FROM decisioning_activities WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
    }).immediate();
  }

  async listAllocations(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT activity_id, doc FROM decisioning_allocations WHERE sandbox_id = ?').all(sandboxId) as { activity_id: string; doc: string }[];
    return new Map(rows.map((r) => [r.activity_id, JSON.parse(r.doc) as Allocation]));
  }

  async putAllocation(sandboxId: string, activityId: string, allocation: Allocation) {
    prepared(
      this.db,
      `INSERT INTO decisioning_allocations (sandbox_id, activity_id, doc) VALUES (?, ?, ?)
       ON CONFLICT (sandbox_id, activity_id) DO UPDATE SET doc = excluded.doc`,
    ).run(sandboxId, activityId, JSON.stringify(allocation));
  }

  async recordImpressions(sandboxId: string, rows: readonly ImpressionRow[]) {
    const find = prepared(this.db, 'SELECT impressions FROM decisioning_visitors WHERE sandbox_id = ? AND activity_id = ? AND visitor_key = ? AND experience_id = ?').pluck();
    const insert = prepared(
      this.db,
      `INSERT INTO decisioning_visitors (sandbox_id, activity_id, visitor_key, experience_id, audiences, first_seen, last_seen, impressions, conversions, revenue)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
    );
    const seen = prepared(
      this.db,
      'UPDATE decisioning_visitors SET impressions = impressions + ?, last_seen = max(last_seen, ?) WHERE sandbox_id = ? AND activity_id = ? AND visitor_key = ? AND experience_id = ?',
    );
    const daily = prepared(
      this.db,
      `INSERT INTO decisioning_daily (sandbox_id, activity_id, experience_id, day, visitors, impressions, conversions, revenue) VALUES (?, ?, ?, ?, ?, ?, 0, 0)
       ON CONFLICT (sandbox_id, activity_id, experience_id, day) DO UPDATE SET visitors = visitors + excluded.visitors, impressions = impressions + excluded.impressions`,
    );
    // A flush holds many impressions of the same visitors (every page view of a session): one
    // read and one write per visitor × activity × experience, one upsert per activity × experience
    // × day, with the same result as writing the rows one by one.
    const visitors = new Map<string, { first: ImpressionRow; count: number; last: number }>();
    const days = new Map<string, { activityId: string; experienceId: string; day: string; visitors: number; impressions: number }>();
    const dayOf = (row: ImpressionRow) => {
      const d = day(row.at);
      const key = `${row.activityId}\u0000${row.experienceId}\u0000${d}`;
      let tally = days.get(key);
      if (!tally) days.set(key, (tally = { activityId: row.activityId, experienceId: row.experienceId, day: d, visitors: 0, impressions: 0 }));
      return tally;
    };
    for (const row of rows) {
      const key = `${row.activityId}\u0000${row.visitorKey}\u0000${row.experienceId}`;
      const visitor = visitors.get(key);
      if (visitor) {
        visitor.count++;
        visitor.last = Math.max(visitor.last, row.at);
      } else {
        visitors.set(key, { first: row, count: 1, last: row.at });
      }
      dayOf(row).impressions++;
    }
    this.db.transaction(() => {
      for (const { first, count, last } of visitors.values()) {
        const isNew = find.get(sandboxId, first.activityId, first.visitorKey, first.experienceId) === undefined;
        if (isNew) {
          insert.run(sandboxId, first.activityId, first.visitorKey, first.experienceId, JSON.stringify([...new Set(first.audiences)]), first.at, last, count);
          dayOf(first).visitors++; // a new visitor counts on the day of their first impression
        } else {
          seen.run(count, last, sandboxId, first.activityId, first.visitorKey, first.experienceId);
        }
      }
      for (const t of days.values()) daily.run(sandboxId, t.activityId, t.experienceId, t.day, t.visitors, t.impressions);
    }).immediate();
  }

  async recordConversions(sandboxId: string, rows: readonly ConversionRow[]) {
    const latest = prepared(
      this.db,
      'SELECT experience_id FROM decisioning_visitors WHERE sandbox_id = ? AND activity_id = ? AND visitor_key = ? ORDER BY last_seen DESC, experience_id LIMIT 1',
    ).pluck();
    const credit = prepared(
      this.db,
      'UPDATE decisioning_visitors SET conversions = conversions + 1, revenue = revenue + ? WHERE sandbox_id = ? AND activity_id = ? AND visitor_key = ? AND experience_id = ?',
    );
    const daily = prepared(
      this.db,
      `INSERT INTO decisioning_daily (sandbox_id, activity_id, experience_id, day, visitors, impressions, conversions, revenue) VALUES (?, ?, ?, ?, 0, 0, 1, ?)
       ON CONFLICT (sandbox_id, activity_id, experience_id, day) DO UPDATE SET conversions = conversions + 1, revenue = revenue + excluded.revenue`,
    );
    return this.db.transaction(() => {
      let credited = 0;
      for (const row of rows) {
        for (const key of row.visitorKeys) {
          const experienceId = latest.get(sandboxId, row.activityId, key) as string | undefined;
          if (experienceId === undefined) continue;
          credit.run(row.revenue, sandboxId, row.activityId, key, experienceId);
          daily.run(sandboxId, row.activityId, experienceId, day(row.at), row.revenue);
          credited++;
          break;
        }
      }
      return credited;
    }).immediate();
  }

  async activitiesSeenBy(sandboxId: string, visitorKeys: readonly string[]) {
    const ids = new Set<string>();
    const statement = prepared(this.db, 'SELECT DISTINCT activity_id FROM decisioning_visitors WHERE sandbox_id = ? AND visitor_key = ?').pluck();
    for (const key of visitorKeys) for (const id of statement.all(sandboxId, key) as string[]) ids.add(id);
    return [...ids];
  }

  async experienceTotals(sandboxId: string, activityId: string): Promise<ExperienceTotals[]> {
    return prepared(
      this.db,
      `SELECT experience_id AS experienceId, count(*) AS visitors, sum(impressions) AS impressions, sum(conversions) AS conversions,
              sum(conversions > 0) AS convertedVisitors, sum(revenue) AS revenue, sum(revenue * revenue) AS revenueSquares
       FROM decisioning_visitors WHERE sandbox_id = ? AND activity_id = ? GROUP BY experience_id ORDER BY experience_id`,
    ).all(sandboxId, activityId) as ExperienceTotals[];
  }

  async audienceTotals(sandboxId: string, activityId: string): Promise<AudienceTotals[]> {
    return prepared(
      this.db,
      `SELECT a.value AS audienceId, v.experience_id AS experienceId, count(*) AS visitors, sum(v.impressions) AS impressions, sum(v.conversions) AS conversions,
              sum(v.conversions > 0) AS convertedVisitors, sum(v.revenue) AS revenue, sum(v.revenue * v.revenue) AS revenueSquares
       FROM decisioning_visitors v, json_each(v.audiences) a
       WHERE v.sandbox_id = ? AND v.activity_id = ? GROUP BY a.value, v.experience_id ORDER BY a.value, v.experience_id`,
    ).all(sandboxId, activityId) as AudienceTotals[];
  }

  async dailyTotals(sandboxId: string, activityId: string): Promise<DailyTotals[]> {
    return prepared(
      this.db,
      `SELECT day, experience_id AS experienceId, visitors, impressions, conversions, revenue
       FROM decisioning_daily WHERE sandbox_id = ? AND activity_id = ? ORDER BY day, experience_id`,
    ).all(sandboxId, activityId) as DailyTotals[];
  }

  async deleteSandbox(sandboxId: string) {
    this.db.transaction(() => {
      for (const table of ['decisioning_offers', 'decisioning_activities', 'decisioning_allocations', 'decisioning_visitors', 'decisioning_daily']) {
        prepared(this.db, `DELETE FROM ${table} WHERE sandbox_id = ?`).run(sandboxId);
      }
    }).immediate();
  }
}
