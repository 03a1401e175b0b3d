/**
 * Batch segmentation jobs: one job per call or per tick of the sandbox's schedule evaluates the
 * sandbox's audiences over every merged profile and its events in one pass (job-input.ts,
 * batch-evaluation.ts), then writes the membership transitions in large transactions and records
 * each audience's size. Jobs run one at a time, each in its own in-memory DuckDB; a job that a
 * restart interrupted is marked failed and retried as a new job.
 *
 * @example
 *   const job = await jobs.submit(sandboxId, {}, 'api');   // queued
 *   await jobs.idle();
 *   (await jobs.get(sandboxId, job.id)).status;           // 'succeeded'
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { Cron } from 'croner';
import { problem } from '../../errors.ts';
import type { ProfileService } from '../../profile/service.ts';
import { newId } from '../../storage/ids.ts';
import { SerialQueue } from '../../storage/serial-queue.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import { changesWithTime } from '../memberships/job-handover.ts';
import type { MembershipBatch } from '../memberships/membership-batch.ts';
import type { Membership, MembershipStore } from '../memberships/store.ts';
import { analyze, parseOrThrow } from '../pql/index.ts';
import { compileToSql } from '../sql/compile.ts';
import { inputFieldsFor } from '../sql/input-fields.ts';
import { createPqlInputTables } from '../sql/input-layout.ts';
import { installPqlFunctions } from '../sql/prelude.ts';
import { JOB_DDL, type BatchAudience } from './batch-evaluation.ts';
import { WRITE_BATCH, evaluateAndWrite } from './evaluate-and-write.ts';
import { JobInput, JobInterrupted, loadCurrentMemberships } from './job-input.ts';
import { entryLookahead, futureEntrants, type LookaheadAudience } from './time-entrants.ts';
import { DEFAULT_SCHEDULE, type AudienceJob, type JobRequest, type JobSchedule, type JobScheduleInput } from './model.ts';
import type { JobStore } from './store.ts';

export interface AudienceJobDependencies {
  store: JobStore;
  audiences: AudienceService;
  memberships: MembershipStore;
  profiles: ProfileService;
  /** Every sandbox id (schedules start for each). */
  sandboxIds: () => Promise<string[]>;
}

export interface AudienceJobOptions {
  /** DuckDB threads per job (default 2). */
  threads?: number;
  /** Membership rows per write transaction (default `WRITE_BATCH`). */
  writeBatch?: number;
  /** Run the cron schedules (default true). */
  schedules?: boolean;
}

/** Told of each batch a job wrote, once committed: `batch.changes()` are its entries and exits. */
export type JobMembershipListener = (sandboxId: string, batch: MembershipBatch) => void;
/** People a job left outside a time-based audience who will enter it with time alone (`time-entrants.ts`). */
export type FutureEntrantListener = (sandboxId: string, people: readonly { audienceId: string; profileId: string }[]) => void;

export class AudienceJobService {
  private readonly queue = new SerialQueue();
  private readonly crons = new Map<string, Cron>();
  private readonly listeners: JobMembershipListener[] = [];
  private readonly entrantListeners: FutureEntrantListener[] = [];
  private stopping = false;

  constructor(
    private readonly deps: AudienceJobDependencies,
    private readonly options: AudienceJobOptions = {},
  ) {}

  /** Told about entries and exits a job writes (activation listens, as to streaming changes). */
  onChange(listener: JobMembershipListener): void {
    this.listeners.push(listener);
  }

  /**
   * Told, after a job has written, who will enter its time-based streaming audiences with time
   * alone (the streaming engine takes them, to arm their entry). Not changes: nothing is written.
   */
  onFutureEntrants(listener: FutureEntrantListener): void {
    this.entrantListeners.push(listener);
  }

  /** Retries jobs a restart interrupted, and starts every sandbox's schedule. */
  async start(): Promise<void> {
    for (const { sandboxId, job } of await this.deps.store.withStatus(['queued', 'processing'])) {
      const retry = this.newJob(job.requestedAudienceIds, 'retry', job.id);
      await this.deps.store.put(sandboxId, { ...job, status: 'failed', finishedAt: new Date().toISOString(), error: `interrupted by a server restart; retried as job ${retry.id}` });
      await this.enqueue(sandboxId, retry);
    }
    if (this.options.schedules === false) return;
    for (const sandboxId of await this.deps.sandboxIds()) await this.startSchedule(sandboxId);
  }

  /**
   * Queues a job (all audiences, or `audienceIds`), answering at once.
   *
   * @example
   *   await jobs.submit(sandboxId, { audienceIds: ['aud_1'] }, 'api');
   */
  async submit(sandboxId: string, request: JobRequest, trigger: AudienceJob['trigger']): Promise<AudienceJob> {
    const ids = [...new Set(request.audienceIds ?? [])];
    for (const id of ids) await this.deps.audiences.get(sandboxId, id);
    const job = this.newJob(ids, trigger);
    await this.enqueue(sandboxId, job);
    return job;
  }

  async get(sandboxId: string, id: string): Promise<AudienceJob> {
    const job = await this.deps.store.get(sandboxId, id);
    if (!job) throw problem('AUDIENCE_JOB_NOT_FOUND', `audience job ${id} does not exist in this sandbox`);
    return job;
  }

  list(sandboxId: string, options: { limit: number; beforeId?: string }) {
    return this.deps.store.list(sandboxId, options);
  }

  /** Resolves when no job is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async schedule(sandboxId: string): Promise<JobSchedule> {
    const stored = (await this.deps.store.schedule(sandboxId)) ?? { cron: DEFAULT_SCHEDULE, enabled: true };
    const next = stored.enabled ? new Cron(stored.cron, { paused: true, timezone: 'UTC' }).nextRun() : null;
    return { ...stored, ...(next ? { nextRunAt: next.toISOString() } : {}) };
  }

  /**
   * Replaces the sandbox's schedule; cron text croner cannot read is refused naming the field.
   *
   * @example
   *   await jobs.setSchedule(sandboxId, { cron: '0 3 * * *' });  // { cron: '0 3 * * *', enabled: true, nextRunAt: '...' }
   */
  async setSchedule(sandboxId: string, input: JobScheduleInput): Promise<JobSchedule> {
    const cron = input.cron.trim();
    try {
      new Cron(cron, { paused: true, timezone: 'UTC' }).stop();
    } catch (err) {
      throw problem('INVALID_SCHEDULE', `cron: ${(err as Error).message}`, { errors: [{ path: 'cron', message: (err as Error).message }] });
    }
    await this.deps.store.putSchedule(sandboxId, { cron, enabled: input.enabled ?? true });
    if (this.options.schedules !== false && !this.stopping) await this.startSchedule(sandboxId);
    return this.schedule(sandboxId);
  }

  sizeHistory(sandboxId: string, audienceId: string, limit: number) {
    return Promise.all([this.deps.store.sizeHistory(sandboxId, audienceId, { limit }), this.deps.store.dailySizes(sandboxId, audienceId, { limit })]);
  }

  async startSchedule(sandboxId: string): Promise<void> {
    this.crons.get(sandboxId)?.stop();
    this.crons.delete(sandboxId);
    const { cron, enabled } = (await this.deps.store.schedule(sandboxId)) ?? { cron: DEFAULT_SCHEDULE, enabled: true };
    if (!enabled || this.stopping) return;
    const job = new Cron(cron, { timezone: 'UTC', unref: true, protect: true }, () => {
      this.submit(sandboxId, {}, 'schedule').catch((err: Error) => process.emitWarning(`scheduled audience job failed to start: ${err.message}`));
    });
    this.crons.set(sandboxId, job);
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    this.crons.get(sandboxId)?.stop();
    this.crons.delete(sandboxId);
    await this.deps.store.deleteSandbox(sandboxId);
  }

  deleteAudience(sandboxId: string, audienceId: string) {
    return this.deps.store.deleteAudience(sandboxId, audienceId);
  }

  /** Stops the schedules and the running job (left `processing`, so the next start retries it). */
  async close(): Promise<void> {
    this.stopping = true;
    for (const cron of this.crons.values()) cron.stop();
    this.crons.clear();
    await this.queue.idle();
  }

  private newJob(requestedAudienceIds: string[], trigger: AudienceJob['trigger'], retryOf?: string): AudienceJob {
    return {
      id: newId('job'),
      status: 'queued',
      trigger,
      requestedAudienceIds,
      ...(retryOf ? { retryOf } : {}),
      createdAt: new Date().toISOString(),
      profilesEvaluated: 0,
      audiences: [],
      skipped: [],
    };
  }

  private async enqueue(sandboxId: string, job: AudienceJob): Promise<void> {
    await this.deps.store.put(sandboxId, job);
    this.queue
      .run(() => (this.stopping ? Promise.resolve() : this.run(sandboxId, job)))
      .catch((err: Error) => process.emitWarning(`audience job ${job.id} could not be recorded: ${err.message}`));
  }

  private async run(sandboxId: string, queued: AudienceJob): Promise<void> {
    const { store, memberships } = this.deps;
    const startedAt = Date.now();
    const now = startedAt;
    let job: AudienceJob = { ...queued, status: 'processing', startedAt: new Date(startedAt).toISOString(), evaluatedAt: new Date(now).toISOString() };
    await store.put(sandboxId, job);
    const opened: { close(): void }[] = [];
    try {
      const instance = await DuckDBInstance.create(':memory:', { threads: String(this.options.threads ?? 2), preserve_insertion_order: 'false' });
      opened.push({ close: () => instance.closeSync() });
      const connection = await instance.connect();
      const extraConnections = [await instance.connect()];
      for (const c of [connection, ...extraConnections]) opened.unshift({ close: () => c.closeSync() });
      const plan = await this.plan(sandboxId, job, now);
      job = { ...job, skipped: plan.skipped };
      await connection.run(`SET TimeZone = 'UTC'`);
      await installPqlFunctions(connection);
      await createPqlInputTables(connection);
      for (const statement of JOB_DDL) await connection.run(statement);
      const ids = plan.audiences.map((a) => a.id);
      await loadCurrentMemberships(connection, memberships, sandboxId, ids, plan.readOnly);
      // The input holds the fields of events and profiles the job's audiences read, extracted once (sql/input-fields.ts).
      const fields = inputFieldsFor(plan.audiences.map((a) => ({ ast: a.ast, now })));
      const input = new JobInput(connection, this.deps.profiles, sandboxId, () => this.stopping, fields);
      const { counts, evaluateMs, writeMs } = await evaluateAndWrite(connection, memberships, sandboxId, plan.audiences, {
        now,
        fields,
        useInput: (policyId) => input.use(policyId),
        extraConnections,
        writeBatch: this.options.writeBatch ?? WRITE_BATCH,
        shouldStop: () => this.stopping,
        onWritten: (batch) => {
          for (const listener of this.listeners) listener(sandboxId, batch);
        },
      });
      if (plan.lookahead.length > 0 && this.entrantListeners.length > 0) {
        // The memberships are written: a failed look-ahead costs future entries their timers, not the job.
        try {
          const entrants = await futureEntrants(connection, plan.lookahead, now, (policyId) => input.use(policyId), fields);
          if (entrants.length > 0) for (const listener of this.entrantListeners) listener(sandboxId, entrants);
        } catch (err) {
          if (err instanceof JobInterrupted) throw err;
          process.emitWarning(`audience job ${job.id}: looking ahead for future entrants failed: ${(err as Error).message}`);
        }
      }
      const finishedAt = Date.now();
      await store.addSizes(sandboxId, job.id, now, counts.map((c) => ({ audienceId: c.audienceId, size: c.total, realized: c.realized, exited: c.exited })));
      job = {
        ...job,
        status: 'succeeded',
        finishedAt: new Date(finishedAt).toISOString(),
        profilesEvaluated: [...input.people.values()].reduce((a, b) => a + b, 0),
        audiences: counts,
        timings: { materializeMs: Math.round(input.materializeMs), evaluateMs: Math.round(evaluateMs - input.materializeMs), writeMs: Math.round(writeMs), totalMs: finishedAt - startedAt },
      };
      await store.put(sandboxId, job);
    } catch (err) {
      // A stopping server leaves the job `processing`: the next start marks it failed and retries it.
      if (err instanceof JobInterrupted) return;
      await store.put(sandboxId, { ...job, status: 'failed', finishedAt: new Date().toISOString(), error: (err as Error).message });
    } finally {
      for (const resource of opened) resource.close();
    }
  }

  /** Which audiences the job evaluates, which it reads from current memberships, which it must skip. */
  private async plan(sandboxId: string, job: AudienceJob, now: number) {
    const all = await this.deps.audiences.list(sandboxId);
    const requested = new Set(job.requestedAudienceIds);
    const wanted = job.requestedAudienceIds.length > 0 ? all.filter((a) => requested.has(a.id)) : all;
    const skipped: { audienceId: string; reason: string }[] = [];
    const parsed: { audience: Audience; batch: Omit<BatchAudience, 'aliases'>; refs: string[] }[] = [];
    for (const audience of wanted) {
      if (audience.origin === 'external') {
        skipped.push({ audienceId: audience.id, reason: 'external audience: its members come from uploaded identities, not an expression' });
        continue;
      }
      try {
        const ast = parseOrThrow(audience.expression.value);
        compileToSql(ast, { now }); // constructs the SQL engine cannot translate are found here, before the job scans anything
        parsed.push({ audience, batch: { id: audience.id, ast, dependencies: audience.dependencies, policyId: audience.mergePolicyId }, refs: analyze(ast).segmentIds });
      } catch (err) {
        skipped.push({ audienceId: audience.id, reason: (err as Error).message });
      }
    }
    const refs = new Set(parsed.flatMap((p) => p.refs));
    const aliases = (a: Audience) => (refs.has(a.name) && a.name !== a.id ? [a.name] : []);
    const evaluated = new Set(parsed.map((p) => p.audience.id));
    const byId = new Map(all.map((a) => [a.id, a]));
    const readOnlyIds = new Set(parsed.flatMap((p) => p.audience.dependencies).filter((id) => !evaluated.has(id) && byId.has(id)));
    // Streaming keeps these current with timers, but only for people whose state it computed.
    const lookahead = parsed
      .filter((p) => changesWithTime(p.audience, p.batch.ast))
      .map((p): LookaheadAudience => ({ id: p.batch.id, ast: p.batch.ast, policyId: p.batch.policyId, lookaheadMs: entryLookahead(p.batch.ast) }));
    return {
      lookahead,
      audiences: parsed.map((p): BatchAudience => ({ ...p.batch, aliases: aliases(p.audience) })),
      readOnly: [...readOnlyIds].map((id) => ({ id, names: [id, ...aliases(byId.get(id)!)] })),
      skipped,
    };
  }
}
