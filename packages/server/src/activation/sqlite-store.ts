/** Embedded (SQLite) implementation of the activation store. */
import { multiRowWriter } from '../storage/multi-row.ts';
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { DeadLetter, Run, RunKind, RunStatus } from './model.ts';
import type { ActivationStore, Job, NewOutboxItem, OutboxItem, RunCounts, StoredActivation, StoredDestination } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE act_destinations (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, id)) WITHOUT ROWID;
   CREATE TABLE act_activations (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, destination_id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, id)) WITHOUT ROWID;
   CREATE TABLE act_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, activation_id TEXT NOT NULL, run_id TEXT NOT NULL,
     profile_id TEXT NOT NULL, audience_id TEXT NOT NULL, status TEXT NOT NULL, changed_at INTEGER NOT NULL, last_qualification_time INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX act_outbox_due ON act_outbox (activation_id, next_attempt_at, seq);
   CREATE INDEX act_outbox_profile ON act_outbox (sandbox_id, profile_id);
   CREATE TABLE act_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, activation_id TEXT NOT NULL, run_id TEXT NOT NULL,
     profile_id TEXT NOT NULL, audience_id TEXT NOT NULL, status TEXT NOT NULL, changed_at INTEGER NOT NULL, last_qualification_time INTEGER NOT NULL,
     attempts INTEGER NOT NULL, last_error TEXT NOT NULL, dead_at INTEGER NOT NULL);
   CREATE INDEX act_dead_letters_activation ON act_dead_letters (activation_id, id);
   CREATE TABLE act_jobs (id TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, activation_id TEXT NOT NULL, run_id TEXT NOT NULL, audience_id TEXT NOT NULL,
     kind TEXT NOT NULL, since INTEGER NOT NULL, cursor TEXT NOT NULL, scheduled_at INTEGER NOT NULL, created_seq INTEGER NOT NULL);
   CREATE INDEX act_jobs_activation ON act_jobs (activation_id, created_seq);
   CREATE TABLE act_runs (id TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, activation_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
     started_at INTEGER NOT NULL, finished_at INTEGER, queued INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,
     failed INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0, last_error TEXT, last_error_at INTEGER, files TEXT);
   CREATE INDEX act_runs_activation ON act_runs (activation_id, started_at);
   CREATE TABLE act_state (activation_id TEXT PRIMARY KEY, delivered INTEGER NOT NULL DEFAULT 0, last_delivered_at INTEGER, last_error TEXT, last_error_at INTEGER);`,
  `ALTER TABLE act_state ADD COLUMN last_change_at INTEGER;`,
  `CREATE TABLE act_attribute_hashes (activation_id TEXT NOT NULL, profile_id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (activation_id, profile_id)) WITHOUT ROWID;`,
  `ALTER TABLE act_runs ADD COLUMN skipped_consent INTEGER NOT NULL DEFAULT 0;`,
];

interface OutboxRow {
  seq: number;
  sandbox_id: string;
  activation_id: string;
  run_id: string;
  profile_id: string;
  audience_id: string;
  status: OutboxItem['status'];
  changed_at: number;
  last_qualification_time: number;
  attempts: number;
  next_attempt_at: number;
}

interface RunRow {
  id: string;
  sandbox_id: string;
  activation_id: string;
  kind: RunKind;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  queued: number;
  delivered: number;
  failed: number;
  retries: number;
  skipped_consent: number;
  last_error: string | null;
  last_error_at: number | null;
  files: string | null;
}

interface JobRow {
  id: string;
  sandbox_id: string;
  activation_id: string;
  run_id: string;
  audience_id: string;
  kind: Job['kind'];
  since: number;
  cursor: string;
  scheduled_at: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function runOf(r: RunRow): Run & { sandboxId: string } {
  return {
    id: r.id,
    sandboxId: r.sandbox_id,
    activationId: r.activation_id,
    kind: r.kind,
    status: r.status,
    startedAt: iso(r.started_at),
    ...(r.finished_at !== null ? { finishedAt: iso(r.finished_at) } : {}),
    queued: r.queued,
    delivered: r.delivered,
    failed: r.failed,
    retries: r.retries,
    skippedConsent: r.skipped_consent,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.last_error_at !== null ? { lastErrorAt: iso(r.last_error_at) } : {}),
    ...(r.files !== null ? { files: JSON.parse(r.files) as string[] } : {}),
  };
}

function itemOf(r: OutboxRow): OutboxItem {
  return {
    seq: r.seq,
    sandboxId: r.sandbox_id,
    activationId: r.activation_id,
    runId: r.run_id,
    profileId: r.profile_id,
    audienceId: r.audience_id,
    status: r.status,
    changedAt: r.changed_at,
    lastQualificationTime: r.last_qualification_time,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
  };
}

function jobOf(r: JobRow): Job {
  return { id: r.id, sandboxId: r.sandbox_id, activationId: r.activation_id, runId: r.run_id, audienceId: r.audience_id, kind: r.kind, since: r.since, cursor: r.cursor, scheduledAt: r.scheduled_at };
}

/** Items grouped by run, for counter updates. */
function perRun(items: readonly { runId: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.runId, (counts.get(item.runId) ?? 0) + 1);
  return counts;
}

export class SqliteActivationStore implements ActivationStore {
  private readonly enqueueTx;
  private readonly deliveredTx;
  private readonly retryTx;
  private readonly deadTx;
  private readonly skipTx;
  private readonly advanceTx;
  private readonly replayTx;
  private jobSeq = 0;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'activation', MIGRATIONS);
    // Rows keep their order (seq follows it): one statement per chunk of a batch.
    const insert = multiRowWriter(db, 'INSERT INTO act_outbox (sandbox_id, activation_id, run_id, profile_id, audience_id, status, changed_at, last_qualification_time)', 8);
    const count = db.prepare('UPDATE act_runs SET queued = queued + ? WHERE id = ?');
    const watermark = db.prepare(
      `INSERT INTO act_state (activation_id, last_change_at) VALUES (?, ?)
       ON CONFLICT (activation_id) DO UPDATE SET last_change_at = max(coalesce(last_change_at, 0), excluded.last_change_at)`,
    );
    const enqueueRows = (items: readonly NewOutboxItem[]) => {
      const latest = new Map<string, number>();
      insert(items.map((i) => [i.sandboxId, i.activationId, i.runId, i.profileId, i.audienceId, i.status, i.changedAt, i.lastQualificationTime]));
      for (const i of items) latest.set(i.activationId, Math.max(latest.get(i.activationId) ?? 0, i.changedAt));
      for (const [runId, n] of perRun(items)) count.run(n, runId);
      for (const [activationId, at] of latest) watermark.run(activationId, at);
    };
    this.enqueueTx = db.transaction(enqueueRows);
    const remove = db.prepare('DELETE FROM act_outbox WHERE seq = ?');
    const countDelivered = db.prepare('UPDATE act_runs SET delivered = delivered + ? WHERE id = ?');
    const state = db.prepare(
      `INSERT INTO act_state (activation_id, delivered, last_delivered_at) VALUES (?, ?, ?)
       ON CONFLICT (activation_id) DO UPDATE SET delivered = delivered + excluded.delivered, last_delivered_at = excluded.last_delivered_at`,
    );
    // A delivered batch leaves the outbox in one statement.
    const removeMany = db.prepare('DELETE FROM act_outbox WHERE seq IN (SELECT value FROM json_each(?))');
    this.deliveredTx = db.transaction((items: readonly OutboxItem[], at: number) => {
      if (items.length === 1) remove.run(items[0].seq);
      else removeMany.run(JSON.stringify(items.map((i) => i.seq)));
      for (const [runId, n] of perRun(items)) countDelivered.run(n, runId);
      if (items.length > 0) state.run(items[0].activationId, items.length, at);
    });
    const reschedule = db.prepare('UPDATE act_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?');
    const countRetry = db.prepare('UPDATE act_runs SET retries = retries + ?, last_error = ?, last_error_at = ? WHERE id = ?');
    const errorState = db.prepare(
      `INSERT INTO act_state (activation_id, last_error, last_error_at) VALUES (?, ?, ?)
       ON CONFLICT (activation_id) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
    );
    this.retryTx = db.transaction((items: readonly OutboxItem[], next: number, error: string, at: number) => {
      for (const i of items) reschedule.run(next, i.seq);
      for (const [runId, n] of perRun(items)) countRetry.run(n, error, at, runId);
      if (items.length > 0) errorState.run(items[0].activationId, error, at);
    });
    const dead = db.prepare(
      `INSERT INTO act_dead_letters (sandbox_id, activation_id, run_id, profile_id, audience_id, status, changed_at, last_qualification_time, attempts, last_error, dead_at)
       SELECT sandbox_id, activation_id, run_id, profile_id, audience_id, status, changed_at, last_qualification_time, attempts + 1, ?, ? FROM act_outbox WHERE seq = ?`,
    );
    const countFailed = db.prepare('UPDATE act_runs SET failed = failed + ?, last_error = ?, last_error_at = ? WHERE id = ?');
    this.deadTx = db.transaction((items: readonly OutboxItem[], error: string, at: number) => {
      for (const i of items) {
        dead.run(error, at, i.seq);
        remove.run(i.seq);
      }
      for (const [runId, n] of perRun(items)) countFailed.run(n, error, at, runId);
      if (items.length > 0) errorState.run(items[0].activationId, error, at);
    });
    const countSkipped = db.prepare('UPDATE act_runs SET skipped_consent = skipped_consent + ? WHERE id = ?');
    this.skipTx = db.transaction((items: readonly OutboxItem[]) => {
      for (const i of items) remove.run(i.seq);
      for (const [runId, n] of perRun(items)) countSkipped.run(n, runId);
    });
    const setCursor = db.prepare('UPDATE act_jobs SET cursor = ? WHERE id = ?');
    this.advanceTx = db.transaction((job: Job, items: readonly NewOutboxItem[], cursor: string) => {
      enqueueRows(items);
      setCursor.run(cursor, job.id);
    });
    this.replayTx = db.transaction((sandboxId: string, activationId: string, runId: string, ids: readonly number[] | undefined) => {
      const where = ids ? `AND id IN (${ids.map(() => '?').join(',')})` : '';
      const rows = db
        .prepare(`SELECT * FROM act_dead_letters WHERE sandbox_id = ? AND activation_id = ? ${where} ORDER BY id`)
        .all(sandboxId, activationId, ...(ids ?? [])) as (OutboxRow & { id: number })[];
      insert(rows.map((r) => [r.sandbox_id, r.activation_id, runId, r.profile_id, r.audience_id, r.status, r.changed_at, r.last_qualification_time]));
      const removeDead = db.prepare('DELETE FROM act_dead_letters WHERE id = ?');
      for (const r of rows) removeDead.run(r.id);
      count.run(rows.length, runId);
      return rows.length;
    });
    const maxJob = db.prepare('SELECT max(created_seq) AS m FROM act_jobs').get() as { m: number | null };
    this.jobSeq = maxJob.m ?? 0;
  }

  async putDestination(d: StoredDestination) {
    prepared(this.db, 'INSERT INTO act_destinations (sandbox_id, id, doc) VALUES (?, ?, ?) ON CONFLICT (sandbox_id, id) DO UPDATE SET doc = excluded.doc').run(
      d.sandboxId,
      d.id,
      JSON.stringify(d),
    );
  }

  async getDestination(sandboxId: string, id: string) {
    const row = prepared(this.db, 'SELECT doc FROM act_destinations WHERE sandbox_id = ? AND id = ?').get(sandboxId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as StoredDestination) : undefined;
  }

  async listDestinations(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT doc FROM act_destinations WHERE sandbox_id = ? ORDER BY id').all(sandboxId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as StoredDestination);
  }

  async deleteDestination(sandboxId: string, id: string) {
    prepared(this.db, 'DELETE FROM act_destinations WHERE sandbox_id = ? AND id = ?').run(sandboxId, id);
  }

  async putActivation(a: StoredActivation) {
    prepared(
      this.db,
      'INSERT INTO act_activations (sandbox_id, id, destination_id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (sandbox_id, id) DO UPDATE SET destination_id = excluded.destination_id, doc = excluded.doc',
    ).run(a.sandboxId, a.id, a.destinationId, JSON.stringify(a));
  }

  async getActivation(sandboxId: string, id: string) {
    const row = prepared(this.db, 'SELECT doc FROM act_activations WHERE sandbox_id = ? AND id = ?').get(sandboxId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as StoredActivation) : undefined;
  }

  async listActivations(sandboxId?: string) {
    const rows = (
      sandboxId === undefined
        ? prepared(this.db, 'SELECT doc FROM act_activations ORDER BY id').all()
        : prepared(this.db, 'SELECT doc FROM act_activations WHERE sandbox_id = ? ORDER BY id').all(sandboxId)
    ) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as StoredActivation);
  }

  async deleteActivation(sandboxId: string, id: string) {
    this.db.transaction(() => {
      for (const table of ['act_outbox', 'act_dead_letters', 'act_jobs', 'act_runs']) {
        this.db.prepare(`DELETE FROM ${table} WHERE sandbox_id = ? AND activation_id = ?`).run(sandboxId, id);
      }
      this.db.prepare('DELETE FROM act_state WHERE activation_id = ?').run(id);
      this.db.prepare('DELETE FROM act_attribute_hashes WHERE activation_id = ?').run(id);
      this.db.prepare('DELETE FROM act_activations WHERE sandbox_id = ? AND id = ?').run(sandboxId, id);
    })();
  }

  async createRun(run: Run & { sandboxId: string }) {
    this.createRunNow(run);
  }

  /** `createRun`, at once: inside a transaction of the caller's (a streaming pass's). */
  createRunNow(run: Run & { sandboxId: string }): void {
    prepared(this.db, 'INSERT INTO act_runs (id, sandbox_id, activation_id, kind, status, started_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      run.id,
      run.sandboxId,
      run.activationId,
      run.kind,
      run.status,
      Date.parse(run.startedAt),
    );
  }

  async getRun(sandboxId: string, id: string) {
    const row = prepared(this.db, 'SELECT * FROM act_runs WHERE sandbox_id = ? AND id = ?').get(sandboxId, id) as RunRow | undefined;
    return row ? runOf(row) : undefined;
  }

  async listRuns(sandboxId: string, activationId: string, limit: number) {
    const rows = prepared(this.db, `SELECT * FROM act_runs WHERE sandbox_id = ? AND activation_id = ? ORDER BY started_at DESC, rowid DESC ${boundLimit()}`).all(
      sandboxId,
      activationId,
      limit,
    ) as RunRow[];
    return rows.map(runOf);
  }

  async countRun(runId: string, c: RunCounts, error?: { message: string; at: number }) {
    prepared(
      this.db,
      `UPDATE act_runs SET queued = queued + ?, delivered = delivered + ?, failed = failed + ?, retries = retries + ?, skipped_consent = skipped_consent + ?,
         last_error = coalesce(?, last_error), last_error_at = coalesce(?, last_error_at) WHERE id = ?`,
    ).run(c.queued ?? 0, c.delivered ?? 0, c.failed ?? 0, c.retries ?? 0, c.skippedConsent ?? 0, error?.message ?? null, error?.at ?? null, runId);
  }

  async finishRun(runId: string, status: RunStatus, at: number) {
    prepared(this.db, 'UPDATE act_runs SET status = ?, finished_at = ? WHERE id = ?').run(status, at, runId);
  }

  async addRunFiles(runId: string, files: readonly string[]) {
    this.db.transaction(() => {
      const row = prepared(this.db, 'SELECT files FROM act_runs WHERE id = ?').get(runId) as { files: string | null } | undefined;
      const list = row?.files ? (JSON.parse(row.files) as string[]) : [];
      prepared(this.db, 'UPDATE act_runs SET files = ? WHERE id = ?').run(JSON.stringify([...list, ...files]), runId);
    })();
  }

  async openRuns(activationId: string) {
    return (prepared(this.db, "SELECT * FROM act_runs WHERE activation_id = ? AND status = 'running'").all(activationId) as RunRow[]).map(runOf);
  }

  async latestRun(activationId: string, kind: RunKind) {
    const row = prepared(this.db, 'SELECT * FROM act_runs WHERE activation_id = ? AND kind = ? ORDER BY started_at DESC, rowid DESC LIMIT 1').get(activationId, kind) as
      | RunRow
      | undefined;
    return row ? runOf(row) : undefined;
  }

  async enqueue(items: readonly NewOutboxItem[]) {
    if (items.length > 0) this.enqueueTx.immediate(items);
  }

  /** `enqueue`, at once: inside a transaction of the caller's (a streaming pass's), as a savepoint of it. */
  enqueueNow(items: readonly NewOutboxItem[]): void {
    if (items.length > 0) this.enqueueTx(items);
  }

  async due(activationId: string, now: number, limit: number) {
    const rows = prepared(this.db, `SELECT * FROM act_outbox INDEXED BY act_outbox_due WHERE activation_id = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, seq ${boundLimit()}`).all(
      activationId,
      now,
      limit,
    ) as OutboxRow[];
    return rows.map(itemOf);
  }

  async nextDue(activationId: string) {
    const row = prepared(this.db, 'SELECT min(next_attempt_at) AS t FROM act_outbox WHERE activation_id = ?').get(activationId) as { t: number | null };
    return row.t ?? undefined;
  }

  async delivered(items: readonly OutboxItem[], at: number) {
    if (items.length > 0) this.deliveredTx.immediate(items, at);
  }

  async retryLater(items: readonly OutboxItem[], nextAttemptAt: number, error: string, at: number) {
    if (items.length > 0) this.retryTx.immediate(items, nextAttemptAt, error, at);
  }

  async skipConsent(items: readonly OutboxItem[]) {
    if (items.length > 0) this.skipTx.immediate(items);
  }

  async deadLetter(items: readonly OutboxItem[], error: string, at: number) {
    if (items.length > 0) this.deadTx.immediate(items, error, at);
  }

  async pendingCount(activationId: string, runId?: string) {
    const row = (
      runId === undefined
        ? prepared(this.db, 'SELECT count(*) AS n FROM act_outbox WHERE activation_id = ?').get(activationId)
        : prepared(this.db, 'SELECT count(*) AS n FROM act_outbox WHERE activation_id = ? AND run_id = ?').get(activationId, runId)
    ) as { n: number };
    return row.n;
  }

  async activeActivationIds() {
    const rows = prepared(this.db, 'SELECT DISTINCT activation_id AS id FROM act_outbox UNION SELECT DISTINCT activation_id FROM act_jobs').all() as { id: string }[];
    return rows.map((r) => r.id);
  }

  async listDeadLetters(sandboxId: string, activationId: string, limit: number, afterId = 0) {
    const rows = prepared(this.db, `SELECT * FROM act_dead_letters WHERE sandbox_id = ? AND activation_id = ? AND id > ? ORDER BY id ${boundLimit()}`).all(
      sandboxId,
      activationId,
      afterId,
      limit,
    ) as (OutboxRow & { id: number; last_error: string; dead_at: number })[];
    return rows.map(
      (r): DeadLetter => ({
        id: r.id,
        activationId: r.activation_id,
        runId: r.run_id,
        profileId: r.profile_id,
        audienceId: r.audience_id,
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error,
        deadAt: iso(r.dead_at),
      }),
    );
  }

  async replayDeadLetters(sandboxId: string, activationId: string, runId: string, ids: readonly number[] | undefined) {
    return this.replayTx.immediate(sandboxId, activationId, runId, ids) as number;
  }

  async deadLetterCount(activationId: string) {
    return (prepared(this.db, 'SELECT count(*) AS n FROM act_dead_letters WHERE activation_id = ?').get(activationId) as { n: number }).n;
  }

  async addJobs(jobs: readonly Job[]) {
    const insert = prepared(
      this.db,
      'INSERT INTO act_jobs (id, sandbox_id, activation_id, run_id, audience_id, kind, since, cursor, scheduled_at, created_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const j of jobs) insert.run(j.id, j.sandboxId, j.activationId, j.runId, j.audienceId, j.kind, j.since, j.cursor, j.scheduledAt, ++this.jobSeq);
    })();
  }

  async nextJob(activationId: string) {
    const row = prepared(this.db, 'SELECT * FROM act_jobs WHERE activation_id = ? ORDER BY created_seq LIMIT 1').get(activationId) as JobRow | undefined;
    return row ? jobOf(row) : undefined;
  }

  async advanceJob(job: Job, items: readonly NewOutboxItem[], cursor: string) {
    this.advanceTx.immediate(job, items, cursor);
  }

  async finishJob(jobId: string) {
    prepared(this.db, 'DELETE FROM act_jobs WHERE id = ?').run(jobId);
  }

  async jobCount(activationId: string, runId?: string) {
    const row = (
      runId === undefined
        ? prepared(this.db, 'SELECT count(*) AS n FROM act_jobs WHERE activation_id = ?').get(activationId)
        : prepared(this.db, 'SELECT count(*) AS n FROM act_jobs WHERE activation_id = ? AND run_id = ?').get(activationId, runId)
    ) as { n: number };
    return row.n;
  }

  async lastChangeAt(activationId: string) {
    const row = prepared(this.db, 'SELECT last_change_at AS t FROM act_state WHERE activation_id = ?').get(activationId) as { t: number | null } | undefined;
    return row?.t ?? undefined;
  }

  async attributeHashes(activationId: string, profileIds: readonly string[]) {
    const get = prepared(this.db, 'SELECT hash FROM act_attribute_hashes WHERE activation_id = ? AND profile_id = ?');
    const out = new Map<string, string>();
    for (const id of profileIds) {
      const row = get.get(activationId, id) as { hash: string } | undefined;
      if (row) out.set(id, row.hash);
    }
    return out;
  }

  async putAttributeHashes(activationId: string, hashes: ReadonlyMap<string, string>) {
    const put = prepared(
      this.db,
      'INSERT INTO act_attribute_hashes (activation_id, profile_id, hash) VALUES (?, ?, ?) ON CONFLICT (activation_id, profile_id) DO UPDATE SET hash = excluded.hash',
    );
    this.db.transaction(() => {
      for (const [profileId, hash] of hashes) put.run(activationId, profileId, hash);
    })();
  }

  async totals(activationId: string) {
    const row = prepared(this.db, 'SELECT * FROM act_state WHERE activation_id = ?').get(activationId) as
      | { delivered: number; last_delivered_at: number | null; last_error: string | null; last_error_at: number | null }
      | undefined;
    if (!row) return { delivered: 0 };
    return {
      delivered: row.delivered,
      ...(row.last_delivered_at !== null ? { lastDeliveredAt: row.last_delivered_at } : {}),
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
      ...(row.last_error_at !== null ? { lastErrorAt: row.last_error_at } : {}),
    };
  }

  async deleteProfile(sandboxId: string, profileId: string) {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM act_outbox WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
      prepared(this.db, 'DELETE FROM act_dead_letters WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
      prepared(
        this.db,
        'DELETE FROM act_attribute_hashes WHERE profile_id = ? AND activation_id IN (SELECT id FROM act_activations WHERE sandbox_id = ?)',
      ).run(profileId, sandboxId);
    })();
  }

  async deleteAudience(sandboxId: string, audienceId: string) {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM act_outbox WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, audienceId);
      prepared(this.db, 'DELETE FROM act_jobs WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, audienceId);
    })();
  }

  async deleteSandbox(sandboxId: string) {
    this.db.transaction(() => {
      const ids = (prepared(this.db, 'SELECT id FROM act_activations WHERE sandbox_id = ?').all(sandboxId) as { id: string }[]).map((r) => r.id);
      for (const id of ids) {
        prepared(this.db, 'DELETE FROM act_state WHERE activation_id = ?').run(id);
        prepared(this.db, 'DELETE FROM act_attribute_hashes WHERE activation_id = ?').run(id);
      }
      for (const table of ['act_outbox', 'act_dead_letters', 'act_jobs', 'act_runs', 'act_activations', 'act_destinations']) {
        this.db.prepare(`DELETE FROM ${table} WHERE sandbox_id = ?`).run(sandboxId);
      }
    })();
  }
}
