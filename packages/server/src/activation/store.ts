/**
 * Storage interface of the activation domain: destinations, activations, the transactional
 * outbox of membership changes, expansion/export jobs, runs and dead letters. The embedded
 * implementation is `sqlite-store.ts`; it commits before each call returns, so an outbox row
 * written from a membership listener is durable before the listener returns.
 */
import type { Activation, DeadLetter, Destination, Run, RunKind, RunStatus } from './model.ts';

/** A destination as stored, with its secrets. */
export type StoredDestination = Destination & { sandboxId: string };
export type StoredActivation = Activation & { sandboxId: string };

/** One membership change waiting to reach one activation's destination. */
export interface OutboxItem {
  seq: number;
  sandboxId: string;
  activationId: string;
  runId: string;
  profileId: string;
  audienceId: string;
  status: 'realized' | 'existing' | 'exited';
  /** When the membership changed (epoch ms). */
  changedAt: number;
  lastQualificationTime: number;
  attempts: number;
  nextAttemptAt: number;
}

export type NewOutboxItem = Omit<OutboxItem, 'seq' | 'attempts' | 'nextAttemptAt'>;

/**
 * Work that produces deliveries: page an audience's members into the outbox (`expand`), export it
 * to files (`export`), or, after a restart, re-enqueue entries the outbox may have missed (`recover`).
 */
export interface Job {
  id: string;
  sandboxId: string;
  activationId: string;
  runId: string;
  audienceId: string;
  kind: 'expand' | 'export' | 'recover';
  /** expand/export: members whose membership changed after this (epoch ms) only, 0 = everyone; recover: members who entered at or after it. */
  since: number;
  /** Profile id the expansion has reached. */
  cursor: string;
  /** The run's export time (file names). */
  scheduledAt: number;
}

export interface RunCounts {
  queued?: number;
  delivered?: number;
  failed?: number;
  retries?: number;
  skippedConsent?: number;
}

export interface ActivationStore {
  putDestination(destination: StoredDestination): Promise<void>;
  getDestination(sandboxId: string, id: string): Promise<StoredDestination | undefined>;
  listDestinations(sandboxId: string): Promise<StoredDestination[]>;
  deleteDestination(sandboxId: string, id: string): Promise<void>;

  putActivation(activation: StoredActivation): Promise<void>;
  getActivation(sandboxId: string, id: string): Promise<StoredActivation | undefined>;
  listActivations(sandboxId?: string): Promise<StoredActivation[]>;
  /** Deletes the activation with its outbox, jobs, runs and dead letters. */
  deleteActivation(sandboxId: string, id: string): Promise<void>;

  createRun(run: Run & { sandboxId: string }): Promise<void>;
  getRun(sandboxId: string, id: string): Promise<(Run & { sandboxId: string }) | undefined>;
  listRuns(sandboxId: string, activationId: string, limit: number): Promise<Run[]>;
  /** Adds to a run's counters (and records the last error) in one statement. */
  countRun(runId: string, counts: RunCounts, error?: { message: string; at: number }): Promise<void>;
  finishRun(runId: string, status: RunStatus, at: number): Promise<void>;
  /** Records files a run wrote. */
  addRunFiles(runId: string, files: readonly string[]): Promise<void>;
  /** Runs still `running` of an activation (to close when their work is done). */
  openRuns(activationId: string): Promise<Run[]>;
  latestRun(activationId: string, kind: RunKind): Promise<Run | undefined>;

  /** Appends items and counts them on their runs, in one transaction. */
  enqueue(items: readonly NewOutboxItem[]): Promise<void>;
  /** Items of an activation due by `now`, oldest first. */
  due(activationId: string, now: number, limit: number): Promise<OutboxItem[]>;
  /** When the next item of an activation becomes due (undefined: none waiting). */
  nextDue(activationId: string): Promise<number | undefined>;
  /** Removes delivered items and counts them on their runs. */
  delivered(items: readonly OutboxItem[], at: number): Promise<void>;
  /** Schedules another attempt. */
  retryLater(items: readonly OutboxItem[], nextAttemptAt: number, error: string, at: number): Promise<void>;
  /** Removes items whose person's consent denies the activation, counted as `skippedConsent` on their runs. */
  skipConsent(items: readonly OutboxItem[]): Promise<void>;
  /** Moves items to the dead letters. */
  deadLetter(items: readonly OutboxItem[], error: string, at: number): Promise<void>;
  pendingCount(activationId: string, runId?: string): Promise<number>;
  /** Activation ids with waiting items or jobs (resumed at start). */
  activeActivationIds(): Promise<string[]>;

  listDeadLetters(sandboxId: string, activationId: string, limit: number, afterId?: number): Promise<DeadLetter[]>;
  /** Moves dead letters (all, or those ids) back to the outbox under a new run; returns how many. */
  replayDeadLetters(sandboxId: string, activationId: string, runId: string, ids: readonly number[] | undefined): Promise<number>;
  deadLetterCount(activationId: string): Promise<number>;

  addJobs(jobs: readonly Job[]): Promise<void>;
  nextJob(activationId: string): Promise<Job | undefined>;
  /** Expansion step: outbox items and the new cursor in one transaction. */
  advanceJob(job: Job, items: readonly NewOutboxItem[], cursor: string): Promise<void>;
  finishJob(jobId: string): Promise<void>;
  jobCount(activationId: string, runId?: string): Promise<number>;

  /** The latest membership-change time an activation's outbox received (the recovery watermark). */
  lastChangeAt(activationId: string): Promise<number | undefined>;

  /** Fingerprints of the mapped attributes last seen per person (attribute-change exports). */
  attributeHashes(activationId: string, profileIds: readonly string[]): Promise<Map<string, string>>;
  putAttributeHashes(activationId: string, hashes: ReadonlyMap<string, string>): Promise<void>;

  /** Delivered-event totals of an activation over all runs. */
  totals(activationId: string): Promise<{ delivered: number; lastDeliveredAt?: number; lastError?: string; lastErrorAt?: number }>;

  /** Removes every outbox item and dead letter of a person (privacy delete). */
  deleteProfile(sandboxId: string, profileId: string): Promise<void>;
  /** Drops an audience from outbox and jobs (audience deleted). */
  deleteAudience(sandboxId: string, audienceId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
