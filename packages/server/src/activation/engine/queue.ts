/**
 * One activation's delivery queue: it drains that activation's jobs (audience expansions and file
 * exports) and outbox items, in batches, under the destination's rate limit, with retries and
 * dead letters. Each activation has its own queue, so a slow or dead destination only ever delays
 * itself. Items leave the outbox only after the destination accepted them (at-least-once).
 * Before any work the governance guard is asked again (`enforce`): a refused activation keeps its
 * outbox and checks again later. Each profile passes the consent gate before it is sent.
 */
import type { JsonObject } from '../../storage/json.ts';
import { destinationType, type AnyDestinationDefinition } from '../destinations/registry.ts';
import { classifyThrown, type DeliveryContext, type DeliveryEvent } from '../destinations/types.ts';
import { activationPurposes, consentAdmits } from '../consent-filter.ts';
import type { ActivationSources, ProfileView } from '../sources.ts';
import type { ActivationStore, Job, OutboxItem, StoredActivation, StoredDestination } from '../store.ts';
import { retryDelay, type BackoffPolicy } from './backoff.ts';
import { deliveryEvent, exportColumns, exportRow } from './events.ts';
import type { TokenBucket } from './rate-limiter.ts';

export interface DeliveryMetrics {
  delivered(type: string, events: number, seconds: number): void;
  retried(type: string, events: number): void;
  dead(type: string, events: number): void;
}

export interface DeliveryTuning {
  backoff: BackoffPolicy;
  /** Longest wait for one destination call. */
  timeoutMs: number;
  /** Batches of one queue in flight at once (items of one person always share a batch lane). */
  concurrency: number;
  /** How long a guard verdict is trusted; a blocked queue checks again after this long. */
  guardTtlMs: number;
  /**
   * How long new streaming changes wait for more to join their batch before the queue sends them
   * (0: at once). A full batch waiting goes at once (once the queue has seen the destination's batch size).
   */
  lingerMs: number;
}

export interface QueueDeps {
  store: ActivationStore;
  sources: ActivationSources;
  activation(id: string): StoredActivation | undefined;
  /** The governance guard's run-time verdict (cached briefly); false: blocked, deliver nothing now. */
  enforce(activation: StoredActivation): Promise<boolean>;
  destination(sandboxId: string, id: string): Promise<StoredDestination | undefined>;
  bucket(destination: StoredDestination, definition: AnyDestinationDefinition): TokenBucket | undefined;
  metrics: DeliveryMetrics;
  /** Shared by every queue and adjustable at run time (tests shorten the backoff). */
  tuning: DeliveryTuning;
  exportRoot: string;
  onError(err: Error): void;
}

/** Profiles per expansion step and per export page. */
const PAGE = 1000;
/** A streaming run collects changes for this long, then the next change opens a new run. */
export const STREAMING_RUN_MS = 60 * 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Splits due items into lanes sent side by side: one per full batch, at most `concurrency`, at
 * least one. One person's items always share a lane (so they stay in order), and a few items make
 * one batch, not one per lane.
 */
export function lanesOf(items: readonly OutboxItem[], batchSize: number, concurrency: number): OutboxItem[][] {
  const count = Math.max(1, Math.min(concurrency, Math.floor(items.length / batchSize)));
  const lanes: OutboxItem[][] = Array.from({ length: count }, () => []);
  for (const item of items) lanes[lane(item.profileId, count)].push(item);
  return lanes;
}

function lane(profileId: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < profileId.length; i++) h = (h * 31 + profileId.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}

export class ActivationQueue {
  private running = false;
  private wakeRequested = false;
  /** New items arrived while the loop ran: after it, wait `lingerMs` for more before running again. */
  private lingerRequested = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (ms since epoch). */
  private timerAt = Infinity;
  /** Items nudged in since the last look at the outbox, and the destination's batch size seen then. */
  private nudged = 0;
  private batchSize: number | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly audienceCache = new Map<string, { name: string; mergePolicyId: string; at: number }>();
  private jobRetry: { jobId: string; attempts: number; notBefore: number } | undefined;

  constructor(
    readonly activationId: string,
    private readonly deps: QueueDeps,
  ) {}

  /** Runs the queue now (settings changed, a retry is due, a job was queued). */
  wake(): void {
    if (this.stopped) return;
    this.clearTimer();
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.running = true;
    this.loopDone = this.loop().finally(() => {
      this.running = false;
      if (this.stopped) return;
      if (this.wakeRequested) this.wake();
      else if (this.lingerRequested) this.nudge(0);
    });
  }

  /**
   * `count` new streaming changes are in the outbox: the queue runs within `lingerMs`, so changes
   * arriving meanwhile share the batch (one call to the destination, one outbox transaction, for
   * many); at once when a full batch is waiting.
   */
  nudge(count: number): void {
    if (this.stopped) return;
    this.nudged += count;
    const linger = this.deps.tuning.lingerMs;
    if (linger <= 0 || (this.batchSize !== undefined && this.nudged >= this.batchSize && !this.running)) return this.wake();
    if (this.running) {
      this.lingerRequested = true;
      return;
    }
    if (this.timerAt > Date.now() + linger) this.later(linger);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.loopDone;
  }

  /** Resolves when nothing is due now (tests and benchmarks). */
  get busy(): boolean {
    return this.running;
  }

  private later(ms: number): void {
    if (this.stopped) return;
    this.clearTimer();
    const delay = Math.max(0, ms);
    this.timerAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.wake();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.wakeRequested = false;
      this.lingerRequested = false;
      let outcome: 'worked' | 'drained' | 'idle' | 'paused' | 'blocked';
      try {
        outcome = await this.step();
      } catch (err) {
        this.deps.onError(err as Error);
        this.later(1000);
        return;
      }
      if (outcome === 'worked' || (outcome === 'drained' && this.deps.tuning.lingerMs <= 0)) continue;
      // Everything due went out; what arrived meanwhile waits (nudge, after the loop) for its batch to fill.
      if (outcome === 'drained' && this.lingerRequested) return;
      // Paused (disabled, or its destination is gone): the outbox waits until an update wakes it.
      if (outcome === 'paused') return;
      // Blocked by governance: nothing is sent or dead-lettered; the guard is asked again later.
      if (outcome === 'blocked') {
        this.later(this.deps.tuning.guardTtlMs);
        return;
      }
      await this.closeRuns().catch((err: Error) => this.deps.onError(err));
      const next = await this.deps.store.nextDue(this.activationId);
      const retryAt = this.jobRetry?.notBefore;
      const wakeAt = Math.min(next ?? Infinity, retryAt ?? Infinity);
      if (wakeAt !== Infinity) this.later(wakeAt - Date.now());
      return;
    }
  }

  private async step(): Promise<'worked' | 'drained' | 'idle' | 'paused' | 'blocked'> {
    const activation = this.deps.activation(this.activationId);
    if (!activation || !activation.enabled) return 'paused';
    const destination = await this.deps.destination(activation.sandboxId, activation.destinationId);
    const definition = destination && destinationType(destination.type);
    if (!destination || !definition) return 'paused';
    const job = await this.deps.store.nextJob(this.activationId);
    const jobReady = job !== undefined && !(this.jobRetry?.jobId === job.id && this.jobRetry.notBefore > Date.now());
    const batchSize = Math.max(1, definition.maxBatchSize(destination.settings));
    const limit = batchSize * this.deps.tuning.concurrency;
    this.batchSize = batchSize;
    this.nudged = 0;
    const items = jobReady ? [] : await this.deps.store.due(this.activationId, Date.now(), limit);
    if (!jobReady && items.length === 0) return 'idle';
    if (!(await this.deps.enforce(activation))) return 'blocked';
    if (job && jobReady) {
      await this.runJob(job, activation, destination, definition);
      return 'worked';
    }
    await Promise.all(
      lanesOf(items, batchSize, this.deps.tuning.concurrency).map(async (laneItems) => {
        for (let i = 0; i < laneItems.length; i += batchSize) await this.deliver(laneItems.slice(i, i + batchSize), activation, destination, definition);
      }),
    );
    return items.length < limit ? 'drained' : 'worked';
  }

  private context(destination: StoredDestination, sandboxName: string, signal: AbortSignal): DeliveryContext<Record<string, unknown>> {
    return { settings: destination.settings, destination: { id: destination.id, name: destination.name, sandboxName }, signal, exportRoot: this.deps.exportRoot };
  }

  private async audience(sandboxId: string, audienceId: string) {
    const cached = this.audienceCache.get(audienceId);
    if (cached && Date.now() - cached.at < 10_000) return cached;
    try {
      const a = await this.deps.sources.audience(sandboxId, audienceId);
      const entry = { name: a.name, mergePolicyId: a.mergePolicyId, at: Date.now() };
      this.audienceCache.set(audienceId, entry);
      return entry;
    } catch {
      return undefined; // deleted since the change: delivered without profile data
    }
  }

  /** Delivery events of a batch, each with the merged profile it was built from (read together per merge policy). */
  private async events(batch: readonly OutboxItem[], activation: StoredActivation): Promise<{ event: DeliveryEvent; profile: ProfileView | undefined }[]> {
    const audiences = await Promise.all(batch.map((item) => this.audience(item.sandboxId, item.audienceId)));
    type Group = { sandboxId: string; mergePolicyId: string; profileIds: Set<string>; read?: Map<string, ProfileView> };
    const groups = new Map<string, Group>();
    const groupOf = batch.map((item, i): Group | undefined => {
      const audience = audiences[i];
      if (!audience) return undefined;
      const key = `${item.sandboxId}\u0000${audience.mergePolicyId}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { sandboxId: item.sandboxId, mergePolicyId: audience.mergePolicyId, profileIds: new Set() }));
      group.profileIds.add(item.profileId);
      return group;
    });
    for (const g of groups.values()) g.read = await this.deps.sources.profiles(g.sandboxId, [...g.profileIds], g.mergePolicyId, { memberships: true });
    return batch.map((item, i) => {
      const profile = groupOf[i]?.read?.get(item.profileId);
      return { event: deliveryEvent(item, activation, audiences[i]?.name ?? item.audienceId, profile), profile };
    });
  }

  private async deliver(batch: OutboxItem[], activation: StoredActivation, destination: StoredDestination, definition: AnyDestinationDefinition): Promise<void> {
    // The consent gate: a person whose consent denies the channel or the marketing action is never sent.
    const purposes = activationPurposes(activation, definition, destination.settings);
    const built = await this.events(batch, activation);
    const items: OutboxItem[] = [];
    const events: DeliveryEvent[] = [];
    const refused: OutboxItem[] = [];
    for (const [i, item] of batch.entries()) {
      if (consentAdmits(built[i].profile, purposes)) {
        items.push(item);
        events.push(built[i].event);
      } else refused.push(item);
    }
    if (refused.length > 0) await this.deps.store.skipConsent(refused);
    if (items.length === 0) return;
    const wait = this.deps.bucket(destination, definition)?.take(items.length) ?? 0;
    if (wait > 0) await sleep(wait);
    const started = performance.now();
    const context = this.context(destination, activation.sandboxName, AbortSignal.timeout(this.deps.tuning.timeoutMs));
    try {
      // A destination set up for batches always gets batches (a JSON array even of one), so its shape never varies.
      if (definition.maxBatchSize(destination.settings) === 1 && events.length === 1 && definition.perform) await definition.perform(events[0], context);
      else if (definition.performBatch) await definition.performBatch(events, context);
      else for (const e of events) await definition.perform!(e, context);
    } catch (err) {
      const failure = classifyThrown(err);
      const attempts = Math.max(...items.map((i) => i.attempts)) + 1;
      const now = Date.now();
      if (failure.retryable && attempts < this.deps.tuning.backoff.maxAttempts) {
        await this.deps.store.retryLater(items, now + retryDelay(attempts, this.deps.tuning.backoff, Math.random, failure.retryAfterSeconds), failure.message, now);
        this.deps.metrics.retried(definition.type, items.length);
      } else {
        const reason = failure.retryable ? `${failure.message} (gave up after ${attempts} attempts)` : failure.message;
        await this.deps.store.deadLetter(items, reason, now);
        this.deps.metrics.dead(definition.type, items.length);
      }
      return;
    }
    await this.deps.store.delivered(items, Date.now());
    this.deps.metrics.delivered(definition.type, items.length, (performance.now() - started) / 1000);
  }

  private async runJob(job: Job, activation: StoredActivation, destination: StoredDestination, definition: AnyDestinationDefinition): Promise<void> {
    if (job.kind === 'expand' || job.kind === 'recover') {
      const page = await this.deps.sources.members(job.sandboxId, job.audienceId, { limit: PAGE, ...(job.cursor ? { afterProfileId: job.cursor } : {}) });
      const items = page
        .filter((m) => (job.kind === 'expand' ? m.updatedAt > job.since : m.lastQualificationTime >= job.since))
        .map((m) => ({
          sandboxId: job.sandboxId,
          activationId: job.activationId,
          runId: job.runId,
          profileId: m.profileId,
          audienceId: job.audienceId,
          status: m.status,
          changedAt: m.updatedAt,
          lastQualificationTime: m.lastQualificationTime,
        }));
      await this.deps.store.advanceJob(job, items, page.length > 0 ? page[page.length - 1].profileId : job.cursor);
      if (page.length < PAGE) await this.deps.store.finishJob(job.id);
      return;
    }
    await this.exportJob(job, activation, destination, definition);
  }

  private async exportJob(job: Job, activation: StoredActivation, destination: StoredDestination, definition: AnyDestinationDefinition): Promise<void> {
    const audience = await this.audience(job.sandboxId, job.audienceId);
    if (!audience || !definition.exportAudience) {
      await this.deps.store.finishJob(job.id);
      return;
    }
    const { sources } = this.deps;
    const purposes = activationPurposes(activation, definition, destination.settings);
    let skippedConsent = 0;
    async function* rows(): AsyncGenerator<JsonObject[]> {
      skippedConsent = 0; // a retried export pages the audience again
      let cursor: string | undefined;
      for (;;) {
        const page = await sources.members(job.sandboxId, job.audienceId, { limit: PAGE, ...(cursor ? { afterProfileId: cursor } : {}) });
        const changed = page.filter((m) => m.updatedAt > job.since);
        const chunk: JsonObject[] = [];
        const profiles = await sources.profiles(job.sandboxId, changed.map((m) => m.profileId), audience!.mergePolicyId, { memberships: false });
        for (const m of changed) {
          const profile = profiles.get(m.profileId);
          if (consentAdmits(profile, purposes)) chunk.push(exportRow(activation, m.status, profile));
          else skippedConsent++;
        }
        if (chunk.length > 0) yield chunk;
        if (page.length < PAGE) return;
        cursor = page[page.length - 1].profileId;
        await new Promise<void>((r) => setImmediate(r)); // let requests through between pages
      }
    }
    const started = performance.now();
    try {
      const result = await definition.exportAudience(
        { audience: { id: job.audienceId, name: audience.name }, at: new Date(job.scheduledAt), columns: exportColumns(activation), rows: rows() },
        this.context(destination, activation.sandboxName, new AbortController().signal),
      );
      await this.deps.store.addRunFiles(job.runId, result.files);
      await this.deps.store.countRun(job.runId, { delivered: 1, skippedConsent });
      await this.deps.store.finishJob(job.id);
      this.jobRetry = undefined;
      this.deps.metrics.delivered(definition.type, result.rows, (performance.now() - started) / 1000);
    } catch (err) {
      const failure = classifyThrown(err);
      const attempts = (this.jobRetry?.jobId === job.id ? this.jobRetry.attempts : 0) + 1;
      const now = Date.now();
      if (failure.retryable && attempts < this.deps.tuning.backoff.maxAttempts) {
        this.jobRetry = { jobId: job.id, attempts, notBefore: now + retryDelay(attempts, this.deps.tuning.backoff) };
        await this.deps.store.countRun(job.runId, { retries: 1 }, { message: failure.message, at: now });
      } else {
        this.jobRetry = undefined;
        await this.deps.store.countRun(job.runId, { failed: 1 }, { message: failure.message, at: now });
        await this.deps.store.finishJob(job.id);
        this.deps.metrics.dead(definition.type, 1);
      }
    }
  }

  /** Runs whose work is all done are closed with their outcome. */
  private async closeRuns(): Promise<void> {
    const { store } = this.deps;
    const now = Date.now();
    for (const run of await store.openRuns(this.activationId)) {
      if (run.kind === 'streaming' && Date.parse(run.startedAt) > now - STREAMING_RUN_MS) continue;
      if ((await store.pendingCount(this.activationId, run.id)) > 0 || (await store.jobCount(this.activationId, run.id)) > 0) continue;
      await store.finishRun(run.id, run.failed === 0 ? 'succeeded' : run.delivered > 0 ? 'partial' : 'failed', now);
    }
  }
}
