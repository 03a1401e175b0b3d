/** Embedded (SQLite) implementation of the job store: jobs as JSON documents, schedules, size history. */
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { AudienceJob, DailySize, JobStatus, SizePoint } from './model.ts';
import type { JobStore, StoredSchedule } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE audience_jobs (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE INDEX audience_jobs_status ON audience_jobs (status);
   CREATE TABLE audience_job_schedules (sandbox_id TEXT PRIMARY KEY, cron TEXT NOT NULL, enabled INTEGER NOT NULL);
   CREATE TABLE audience_sizes (sandbox_id TEXT NOT NULL, audience_id TEXT NOT NULL, at INTEGER NOT NULL, job_id TEXT NOT NULL,
     size INTEGER NOT NULL, realized INTEGER NOT NULL, exited INTEGER NOT NULL, PRIMARY KEY (sandbox_id, audience_id, at, job_id)) WITHOUT ROWID;`,
];

export class SqliteJobStore implements JobStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'audience-jobs', MIGRATIONS);
  }

  async put(sandboxId: string, job: AudienceJob) {
    prepared(
      this.db,
      `INSERT INTO audience_jobs (sandbox_id, id, status, created_at, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
    ).run(sandboxId, job.id, job.status, Date.parse(job.createdAt), JSON.stringify(job));
  }

  async get(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM audience_jobs WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as AudienceJob) : undefined;
  }

  async list(sandboxId: string, options: { limit: number; beforeId?: string }) {
    const docs = prepared(
      this.db,
      `SELECT doc FROM audience_jobs WHERE sandbox_id = @sandboxId
         AND (@beforeId IS NULL OR (created_at, id) < (SELECT created_at, id FROM audience_jobs WHERE sandbox_id = @sandboxId AND id = @beforeId))
       ORDER BY created_at DESC, id DESC ${boundLimit('@limit')}`,
    ).pluck().all({ sandboxId, beforeId: options.beforeId ?? null, limit: options.limit }) as string[];
    return docs.map((d) => JSON.parse(d) as AudienceJob);
  }

  async withStatus(statuses: readonly JobStatus[]) {
    const rows = prepared(this.db, `SELECT sandbox_id, doc FROM audience_jobs WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY created_at, id`).all(
      ...statuses,
    ) as { sandbox_id: string; doc: string }[];
    return rows.map((r) => ({ sandboxId: r.sandbox_id, job: JSON.parse(r.doc) as AudienceJob }));
  }

  async schedule(sandboxId: string) {
    const row = prepared(this.db, 'SELECT cron, enabled FROM audience_job_schedules WHERE sandbox_id = ?').get(sandboxId) as { cron: string; enabled: number } | undefined;
    return row ? { cron: row.cron, enabled: row.enabled === 1 } : undefined;
  }

  async putSchedule(sandboxId: string, schedule: StoredSchedule) {
    prepared(
      this.db,
      `INSERT INTO audience_job_schedules (sandbox_id, cron, enabled) VALUES (?, ?, ?)
       ON CONFLICT (sandbox_id) DO UPDATE SET cron = excluded.cron, enabled = excluded.enabled`,
    ).run(sandboxId, schedule.cron, schedule.enabled ? 1 : 0);
  }

  async schedules() {
    const rows = prepared(this.db, 'SELECT sandbox_id, cron, enabled FROM audience_job_schedules').all() as { sandbox_id: string; cron: string; enabled: number }[];
    return rows.map((r) => ({ sandboxId: r.sandbox_id, schedule: { cron: r.cron, enabled: r.enabled === 1 } }));
  }

  async addSizes(sandboxId: string, jobId: string, at: number, sizes: readonly { audienceId: string; size: number; realized: number; exited: number }[]) {
    const insert = prepared(this.db, 'INSERT OR REPLACE INTO audience_sizes (sandbox_id, audience_id, at, job_id, size, realized, exited) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const s of sizes) insert.run(sandboxId, s.audienceId, at, jobId, s.size, s.realized, s.exited);
    })();
  }

  async sizeHistory(sandboxId: string, audienceId: string, options: { limit: number }): Promise<SizePoint[]> {
    const rows = prepared(
      this.db,
      `SELECT job_id, at, size, realized, exited FROM audience_sizes WHERE sandbox_id = ? AND audience_id = ? ORDER BY at DESC, job_id DESC ${boundLimit()}`,
    ).all(sandboxId, audienceId, options.limit) as { job_id: string; at: number; size: number; realized: number; exited: number }[];
    return rows.reverse().map((r) => ({ jobId: r.job_id, at: new Date(r.at).toISOString(), size: r.size, realized: r.realized, exited: r.exited }));
  }

  async dailySizes(sandboxId: string, audienceId: string, options: { limit: number }): Promise<DailySize[]> {
    // The size of a day is the size after its last job; entries and exits add up over the day's jobs.
    const rows = prepared(
      this.db,
      `SELECT day, size, realized, exited FROM (
         SELECT date(at / 1000, 'unixepoch') AS day,
           last_value(size) OVER (PARTITION BY date(at / 1000, 'unixepoch') ORDER BY at, job_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS size,
           sum(realized) OVER (PARTITION BY date(at / 1000, 'unixepoch')) AS realized,
           sum(exited) OVER (PARTITION BY date(at / 1000, 'unixepoch')) AS exited,
           row_number() OVER (PARTITION BY date(at / 1000, 'unixepoch') ORDER BY at DESC) AS n
         FROM audience_sizes WHERE sandbox_id = ? AND audience_id = ?)
       WHERE n = 1 ORDER BY day DESC ${boundLimit()}`,
    ).all(sandboxId, audienceId, options.limit) as DailySize[];
    return rows.reverse();
  }

  async deleteAudience(sandboxId: string, audienceId: string) {
    prepared(this.db, 'DELETE FROM audience_sizes WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, audienceId);
  }

  async deleteSandbox(sandboxId: string) {
    for (const table of ['audience_jobs', 'audience_job_schedules', 'audience_sizes']) prepared(this.db, `DELETE FROM ${table} WHERE sandbox_id = ?`).run(sandboxId);
  }
}
