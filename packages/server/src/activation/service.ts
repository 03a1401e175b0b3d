/**
 * Activation service: destinations, activations (destination + audiences + mapped attributes +
 * identities + schedule + marketing action), the outbox fed by membership changes, runs, dead
 * letters and replay. Streaming activations export each entry and exit; batch activations export
 * on a schedule (full, or first full then incremental); a newly mapped audience is backfilled.
 * Governance is enforced when an activation is saved and again before each delivery (a refused
 * activation is `blocked`, keeps its outbox and resumes by itself once the guard allows it), and
 * every profile passes the consent gate of its channel and marketing action.
 *
 * @example
 *   const activations = await ActivationService.open({ store, sources, exportRoot, metrics, onError });
 *   streamingAudiences.onChange((sandboxId, changes) => activations.onMembershipChanges(sandboxId, changes));
 */
import { problem } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import type { Membership } from '../segmentation/memberships/store.ts';
import { destinationType, destinationTypes, type AnyDestinationDefinition } from './destinations/registry.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './engine/backoff.ts';
import { DeliveryEngine } from './engine/engine.ts';
import { attributeFingerprint } from './engine/events.ts';
import { SerialQueue } from '../storage/serial-queue.ts';
import { STREAMING_RUN_MS, type DeliveryMetrics, type DeliveryTuning } from './engine/queue.ts';
import { BatchScheduler } from './engine/scheduler.ts';
import { permissiveActivationGuard, type ActivationGuard, type ActivationGuardResult } from './guard.ts';
import type { Activation, ActivationInput, ActivationStats, DeadLetter, Destination, DestinationInput, Run, RunKind } from './model.ts';
import { checkSettings, keepHiddenSecrets, redactSettings } from './settings.ts';
import { buildActivation, type ValidationDeps } from './validate-activation.ts';
import type { ActivationSources, ProfileView } from './sources.ts';
import type { ActivationStore, Job, NewOutboxItem, StoredActivation, StoredDestination } from './store.ts';

export interface ActivationServiceOptions {
  store: ActivationStore;
  sources: ActivationSources;
  /** Where file destinations write: `<data dir>/exports`. */
  exportRoot: string;
  metrics: DeliveryMetrics & { outboxPending?(n: number): void };
  onError(err: Error): void;
  guard?: ActivationGuard;
  backoff?: Partial<BackoffPolicy>;
  /** Longest wait for one destination call (default 10 s). */
  timeoutMs?: number;
  /** Batches in flight per activation (default 4). */
  concurrency?: number;
  /** How long a run-time guard verdict is trusted (default 5 s); a blocked activation checks again after this long. */
  guardTtlMs?: number;
  /** How long new streaming changes wait for more to share their batch (default 10 ms; 0: send at once). */
  lingerMs?: number;
}

/** Rows a set of membership changes adds to the outbox, the streaming runs they open, and how many each activation got. */
export interface StreamingOutbox {
  items: NewOutboxItem[];
  runs: (Run & { sandboxId: string })[];
  woken: Map<string, number>;
}

interface SandboxRef {
  id: string;
  name: string;
}

export class ActivationService {
  private readonly activations = new Map<string, StoredActivation>();
  /** Streaming, enabled activations of each sandbox, by audience id. */
  private readonly streaming = new Map<string, Map<string, StoredActivation[]>>();
  private readonly streamingRuns = new Map<string, { runId: string; startedAt: number }>();
  private readonly destinations = new Map<string, StoredDestination>();
  private readonly engine: DeliveryEngine;
  private readonly scheduler: BatchScheduler;
  private guard: ActivationGuard;
  private readonly tuning: DeliveryTuning;
  /** Attribute-change passes run one at a time (their fingerprints are read, compared, written). */
  private readonly attributePasses = new SerialQueue();
  private readonly lastExportAt = new Map<string, number>();
  /** Run-time guard verdicts by activation id, trusted for `guardTtlMs`. */
  private readonly verdicts = new Map<string, { at: number; verdict: ActivationGuardResult }>();

  private constructor(private readonly options: ActivationServiceOptions) {
    this.guard = options.guard ?? permissiveActivationGuard;
    this.tuning = {
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      timeoutMs: options.timeoutMs ?? 10_000,
      concurrency: options.concurrency ?? 4,
      guardTtlMs: options.guardTtlMs ?? 5_000,
      lingerMs: options.lingerMs ?? 10,
    };
    this.engine = new DeliveryEngine({
      store: options.store,
      sources: options.sources,
      activation: (id) => this.activations.get(id),
      enforce: (activation) => this.enforce(activation),
      destination: (sandboxId, id) => this.destination(sandboxId, id),
      metrics: options.metrics,
      tuning: this.tuning,
      exportRoot: options.exportRoot,
      onError: options.onError,
    });
    this.scheduler = new BatchScheduler((id) => {
      const a = this.activations.get(id);
      if (a) this.trigger(a, 'scheduled').catch(options.onError);
    });
  }

  /** Loads activations, resumes unfinished outboxes and jobs, starts the batch schedules. */
  static async open(options: ActivationServiceOptions): Promise<ActivationService> {
    const service = new ActivationService(options);
    const all = await options.store.listActivations();
    for (const a of all) service.remember(a);
    for (const a of all) if (a.enabled && a.schedule.type === 'streaming') await service.recover(a);
    for (const id of await options.store.activeActivationIds()) service.engine.wake(id);
    return service;
  }

  /** Governance plugs its check in here (the default allows everything). */
  setGuard(guard: ActivationGuard): void {
    this.guard = guard;
    this.governanceChanged();
  }

  /**
   * Labels, actions or policies changed (governance's change listener): cached verdicts are dropped
   * and blocked activations check again now, so a fix resumes them at once.
   */
  governanceChanged(sandboxId?: string): void {
    for (const [id, a] of this.activations) {
      if (sandboxId !== undefined && a.sandboxId !== sandboxId) continue;
      this.verdicts.delete(id);
      if (a.blocked && a.enabled) this.engine.wake(id);
    }
  }

  /** Adjusts retry timing, call timeout, lane count and guard-verdict lifetime for every queue (tests, operations). */
  tune(tuning: { backoff?: Partial<BackoffPolicy>; timeoutMs?: number; concurrency?: number; guardTtlMs?: number; lingerMs?: number }): void {
    if (tuning.backoff) this.tuning.backoff = { ...this.tuning.backoff, ...tuning.backoff };
    if (tuning.timeoutMs !== undefined) this.tuning.timeoutMs = tuning.timeoutMs;
    if (tuning.concurrency !== undefined) this.tuning.concurrency = tuning.concurrency;
    if (tuning.guardTtlMs !== undefined) this.tuning.guardTtlMs = tuning.guardTtlMs;
    if (tuning.lingerMs !== undefined) this.tuning.lingerMs = tuning.lingerMs;
  }

  types(): readonly AnyDestinationDefinition[] {
    return destinationTypes();
  }

  // ---- destinations

  async createDestination(sandbox: SandboxRef, input: DestinationInput): Promise<Destination> {
    const definition = this.definition(input.type);
    checkSettings(definition, input.settings);
    const now = new Date().toISOString();
    const stored: StoredDestination = { id: newId('dst'), sandboxId: sandbox.id, name: input.name, type: input.type, ...(input.description ? { description: input.description } : {}), settings: input.settings, createdAt: now, updatedAt: now };
    await this.options.store.putDestination(stored);
    this.destinations.set(stored.id, stored);
    return this.publicDestination(stored);
  }

  async updateDestination(sandbox: SandboxRef, id: string, input: DestinationInput): Promise<Destination> {
    const current = await this.requireDestination(sandbox.id, id);
    if (input.type !== current.type) throw problem('CONFLICT', `a destination's type cannot change (it is ${current.type})`, { errors: [{ path: 'type', message: 'cannot change' }] });
    const definition = this.definition(input.type);
    const settings = keepHiddenSecrets(definition, input.settings, current.settings);
    checkSettings(definition, settings);
    const stored: StoredDestination = { ...current, name: input.name, settings, updatedAt: new Date().toISOString(), ...(input.description ? { description: input.description } : {}) };
    await this.options.store.putDestination(stored);
    this.destinations.set(id, stored);
    for (const a of this.activations.values()) if (a.destinationId === id) this.engine.wake(a.id);
    return this.publicDestination(stored);
  }

  async listDestinations(sandboxId: string): Promise<Destination[]> {
    return (await this.options.store.listDestinations(sandboxId)).map((d) => this.publicDestination(d));
  }

  async getDestination(sandboxId: string, id: string): Promise<Destination> {
    return this.publicDestination(await this.requireDestination(sandboxId, id));
  }

  async deleteDestination(sandboxId: string, id: string): Promise<void> {
    await this.requireDestination(sandboxId, id);
    const users = [...this.activations.values()].filter((a) => a.sandboxId === sandboxId && a.destinationId === id);
    if (users.length > 0) throw problem('DESTINATION_IN_USE', `activations ${users.map((a) => a.id).join(', ')} use this destination; delete them first`);
    await this.options.store.deleteDestination(sandboxId, id);
    this.destinations.delete(id);
  }

  // ---- activations

  async create(sandbox: SandboxRef, input: ActivationInput): Promise<Activation> {
    const now = new Date().toISOString();
    const activation = await buildActivation(this.validationDeps(), sandbox, newId('act'), input, now, now);
    await this.options.store.putActivation(activation);
    this.remember(activation);
    await this.started(activation, activation.audienceIds);
    return this.publicActivation(activation);
  }

  async update(sandbox: SandboxRef, id: string, input: ActivationInput): Promise<Activation> {
    const current = await this.require(sandbox.id, id);
    const activation = await buildActivation(this.validationDeps(), sandbox, id, input, current.createdAt, new Date().toISOString());
    await this.options.store.putActivation(activation);
    this.remember(activation);
    this.verdicts.delete(id); // saved: the guard allowed it just now
    const wasStreaming = current.schedule.type === 'streaming' && current.enabled;
    const added = wasStreaming ? activation.audienceIds.filter((a) => !current.audienceIds.includes(a)) : activation.audienceIds;
    if (activation.schedule.type === 'streaming' || !wasStreaming) await this.started(activation, added, current);
    return this.publicActivation(activation);
  }

  async list(sandboxId: string): Promise<Activation[]> {
    return (await this.options.store.listActivations(sandboxId)).map((a) => this.publicActivation(a));
  }

  async get(sandboxId: string, id: string): Promise<Activation & { stats: ActivationStats; nextRunAt?: string }> {
    const a = await this.require(sandboxId, id);
    const next = this.scheduler.nextRun(id);
    return { ...this.publicActivation(a), stats: await this.stats(a), ...(next ? { nextRunAt: next.toISOString() } : {}) };
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    await this.require(sandboxId, id);
    await this.engine.forget(id);
    this.scheduler.sync(id, undefined, false);
    await this.options.store.deleteActivation(sandboxId, id);
    this.forget(id);
  }

  async runs(sandboxId: string, id: string, limit: number): Promise<Run[]> {
    await this.require(sandboxId, id);
    return (await this.options.store.listRuns(sandboxId, id, limit)).map((run) => this.present(run));
  }

  /** A run as answered: an open run of an activation governance blocks is `blocked`, not `running`. */
  private present(run: Run): Run {
    return run.status === 'running' && this.activations.get(run.activationId)?.blocked ? { ...run, status: 'blocked' } : run;
  }

  /** "Export now": a manual run of every mapped audience (all members, or for firstFullThenIncremental after a first export, those changed since). */
  async runNow(sandboxId: string, id: string): Promise<Run> {
    const activation = await this.require(sandboxId, id);
    if (!activation.enabled) throw problem('CONFLICT', 'the activation is disabled; enable it first');
    return this.trigger(activation, 'manual');
  }

  async deadLetters(sandboxId: string, id: string, limit: number, afterId?: number): Promise<DeadLetter[]> {
    await this.require(sandboxId, id);
    return this.options.store.listDeadLetters(sandboxId, id, limit, afterId);
  }

  /** Moves dead letters (all or the given ids) back to the outbox under a `replay` run. */
  async replay(sandboxId: string, id: string, ids?: readonly number[]): Promise<{ replayed: number; run?: Run }> {
    await this.require(sandboxId, id);
    const run = await this.newRun(sandboxId, id, 'replay');
    const replayed = await this.options.store.replayDeadLetters(sandboxId, id, run.id, ids);
    if (replayed === 0) {
      await this.options.store.finishRun(run.id, 'succeeded', Date.now());
      return { replayed };
    }
    this.engine.wake(id);
    return { replayed, run: this.present((await this.options.store.getRun(sandboxId, run.id)) ?? run) };
  }

  // ---- the outbox

  /**
   * Membership changes that did not reach the outbox with their memberships (`membership-outbox.ts`
   * says which), queued in a transaction of their own. The embedded store writes synchronously: the
   * rows are committed before this returns.
   */
  onMembershipChanges(sandboxId: string, changes: readonly Membership[]): void {
    const outbox = this.streamingOutbox(sandboxId, changes);
    if (outbox.items.length === 0) return;
    Promise.all([...outbox.runs.map((run) => this.options.store.createRun(run)), this.options.store.enqueue(outbox.items)])
      .then(() => this.queued(outbox))
      .catch((err: Error) => this.options.onError(err));
  }

  /**
   * The outbox rows (and new streaming runs) of membership changes, for whoever commits them:
   * `onMembershipChanges` in a transaction of its own, or `MembershipOutbox` in the transaction that
   * commits the memberships themselves, so that a crash keeps both or neither. Entries and exits only; `existing` is not a change.
   */
  streamingOutbox(sandboxId: string, changes: readonly Membership[]): StreamingOutbox {
    const outbox: StreamingOutbox = { items: [], runs: [], woken: new Map() };
    const byAudience = this.streaming.get(sandboxId);
    if (!byAudience) return outbox;
    for (const change of changes) {
      if (change.status === 'existing') continue;
      for (const activation of byAudience.get(change.audienceId) ?? []) {
        const { runId, run } = this.streamingRun(activation);
        if (run) outbox.runs.push(run);
        outbox.items.push({
          sandboxId,
          activationId: activation.id,
          runId,
          profileId: change.profileId,
          audienceId: change.audienceId,
          status: change.status,
          changedAt: change.updatedAt,
          lastQualificationTime: change.lastQualificationTime,
        });
        outbox.woken.set(activation.id, (outbox.woken.get(activation.id) ?? 0) + 1);
      }
    }
    return outbox;
  }

  /** Whether a streaming activation of the sandbox takes changes of the audience (what `streamingOutbox` makes rows for). */
  streams(sandboxId: string, audienceId: string): boolean {
    return (this.streaming.get(sandboxId)?.get(audienceId)?.length ?? 0) > 0;
  }

  /** Outbox rows committed: the activations' queues take them, after their batching window. */
  queued(outbox: StreamingOutbox): void {
    for (const [id, count] of outbox.woken) this.engine.nudge(id, count);
  }

  /** A transaction that was to commit the runs of an outbox failed: the next change starts a new run. */
  forgetRuns(outbox: StreamingOutbox): void {
    for (const run of outbox.runs) if (this.streamingRuns.get(run.activationId)?.runId === run.id) this.streamingRuns.delete(run.activationId);
  }

  /**
   * People whose profiles were updated (identity keys). Streaming activations with
   * `onAttributeChange` export each of them who is a member when what the activation sends about
   * them (mapped attributes, identities) differs from the last fingerprint seen, or none was seen yet.
   */
  onProfilesUpdated(sandboxId: string, keys: readonly string[]): void {
    const watching = [...this.activations.values()].filter(
      (a) => a.sandboxId === sandboxId && a.enabled && a.schedule.type === 'streaming' && a.schedule.onAttributeChange === true && a.audienceIds.length > 0,
    );
    if (watching.length === 0 || keys.length === 0) return;
    this.attributePasses.run(() => this.exportAttributeChanges(sandboxId, keys, watching)).catch((err: Error) => this.options.onError(err));
  }

  private async exportAttributeChanges(sandboxId: string, keys: readonly string[], watching: readonly StoredActivation[]): Promise<void> {
    const now = Date.now();
    for (const activation of watching) {
      const audience = await this.options.sources.audience(sandboxId, activation.audienceIds[0]).catch(() => undefined);
      if (!audience) continue;
      const people = new Map<string, ProfileView>();
      for (const key of keys) {
        const person = await this.options.sources.person(sandboxId, key, audience.mergePolicyId);
        if (person) people.set(person.profileId, person.view);
      }
      const previous = await this.options.store.attributeHashes(activation.id, [...people.keys()]);
      const next = new Map<string, string>();
      const items: NewOutboxItem[] = [];
      for (const [profileId, view] of people) {
        const memberOf = activation.audienceIds.filter((id) => ['realized', 'existing'].includes(String(view.segmentMembership.ups[id]?.status)));
        if (memberOf.length === 0) continue;
        const hash = attributeFingerprint(activation, view);
        if (previous.get(profileId) === hash) continue;
        next.set(profileId, hash);
        const runId = await this.streamingRunId(activation);
        for (const audienceId of memberOf) {
          const qualified = Date.parse(String(view.segmentMembership.ups[audienceId].lastQualificationTime));
          items.push({ sandboxId, activationId: activation.id, runId, profileId, audienceId, status: 'existing', changedAt: now, lastQualificationTime: Number.isNaN(qualified) ? now : qualified });
        }
      }
      if (items.length === 0) continue;
      await this.options.store.enqueue(items);
      await this.options.store.putAttributeHashes(activation.id, next);
      this.engine.wake(activation.id);
    }
  }

  /** An audience was deleted: it leaves every activation and the outbox. */
  async audienceDeleted(sandboxId: string, audienceId: string): Promise<void> {
    for (const a of [...this.activations.values()]) {
      if (a.sandboxId !== sandboxId || !a.audienceIds.includes(audienceId)) continue;
      const next = { ...a, audienceIds: a.audienceIds.filter((id) => id !== audienceId), enabled: a.audienceIds.length > 1 && a.enabled, updatedAt: new Date().toISOString() };
      await this.options.store.putActivation(next);
      this.remember(next);
    }
    await this.options.store.deleteAudience(sandboxId, audienceId);
  }

  /** Privacy delete: the person's waiting deliveries and dead letters go. */
  async profileDeleted(sandboxId: string, profileId: string): Promise<void> {
    await this.options.store.deleteProfile(sandboxId, profileId);
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    for (const a of [...this.activations.values()]) {
      if (a.sandboxId !== sandboxId) continue;
      await this.engine.forget(a.id);
      this.scheduler.sync(a.id, undefined, false);
      this.forget(a.id);
    }
    for (const [id, d] of this.destinations) if (d.sandboxId === sandboxId) this.destinations.delete(id);
    await this.options.store.deleteSandbox(sandboxId);
  }

  /** Resolves when no queue is working and nothing is due now (tests, benchmarks). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.attributePasses.idle();
    for (;;) {
      let due = 0;
      for (const [id, a] of this.activations) {
        // A blocked activation's outbox waits for governance, not for delivery.
        if (a.enabled && !a.blocked) due += (await this.options.store.due(id, Date.now(), 1)).length + (await this.options.store.jobCount(id));
      }
      if (due === 0 && !this.engine.busy()) return;
      if (Date.now() > deadline) throw new Error('activation delivery did not settle in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.scheduler.stopAll();
    await this.engine.stop();
  }

  // ---- internals

  private definition(type: string): AnyDestinationDefinition {
    const definition = destinationType(type);
    if (!definition) {
      throw problem('INVALID_DESTINATION_SETTINGS', `unknown destination type "${type}" (known: ${destinationTypes().map((d) => d.type).join(', ')})`, {
        errors: [{ path: 'type', message: 'is not a known destination type' }],
      });
    }
    return definition;
  }

  private async destination(sandboxId: string, id: string): Promise<StoredDestination | undefined> {
    const cached = this.destinations.get(id);
    if (cached && cached.sandboxId === sandboxId) return cached;
    const stored = await this.options.store.getDestination(sandboxId, id);
    if (stored) this.destinations.set(id, stored);
    return stored;
  }

  private async requireDestination(sandboxId: string, id: string): Promise<StoredDestination> {
    const d = await this.destination(sandboxId, id);
    if (!d) throw problem('DESTINATION_NOT_FOUND', `destination ${id} does not exist in this sandbox`);
    return d;
  }

  private async require(sandboxId: string, id: string): Promise<StoredActivation> {
    const a = this.activations.get(id);
    if (!a || a.sandboxId !== sandboxId) throw problem('ACTIVATION_NOT_FOUND', `activation ${id} does not exist in this sandbox`);
    return a;
  }

  private publicDestination(d: StoredDestination): Destination {
    const { sandboxId: _sandboxId, ...rest } = d;
    return { ...rest, settings: redactSettings(destinationType(d.type), d.settings) };
  }

  private publicActivation(a: StoredActivation): Activation {
    const { sandboxId: _sandboxId, ...rest } = a;
    return { ...rest, status: !a.enabled ? 'disabled' : a.blocked ? 'blocked' : 'active' };
  }

  /** The guard's verdict on a saved activation, trusted for `guardTtlMs` (dropped on governance changes and saves). */
  private async verdict(a: StoredActivation): Promise<ActivationGuardResult> {
    const cached = this.verdicts.get(a.id);
    if (cached && Date.now() - cached.at < this.tuning.guardTtlMs) return cached.verdict;
    const verdict = await this.guard.check({
      sandboxId: a.sandboxId,
      activationId: a.id,
      destinationId: a.destinationId,
      destinationType: a.destinationType,
      ...(a.marketingActionId ? { marketingActionId: a.marketingActionId } : {}),
      audienceIds: a.audienceIds,
      mappedPaths: a.mappings.map((m) => m.source),
      namespaces: a.identities.map((i) => i.namespace),
    });
    this.verdicts.set(a.id, { at: Date.now(), verdict });
    return verdict;
  }

  /**
   * Run-time enforcement, before each delivery and export: a refused activation becomes `blocked`
   * (stored, with the explanation) and its open runs record the refusal; its outbox rows stay.
   * Once the guard allows it again, the block is lifted and delivery resumes where it stopped.
   */
  private async enforce(a: StoredActivation): Promise<boolean> {
    const verdict = await this.verdict(a);
    const current = this.activations.get(a.id);
    if (!current) return false;
    if (verdict.allowed) {
      if (current.blocked) {
        const { blocked: _blocked, ...rest } = current;
        await this.options.store.putActivation(rest);
        this.remember(rest);
      }
      return true;
    }
    const refusal = `blocked by governance: ${verdict.reason}`;
    if (current.blocked?.reason !== verdict.reason) {
      const next: StoredActivation = {
        ...current,
        blocked: { reason: verdict.reason, blockedAt: new Date().toISOString(), ...(verdict.violations ? { violations: verdict.violations } : {}) },
      };
      await this.options.store.putActivation(next);
      this.remember(next);
    }
    const now = Date.now();
    for (const run of await this.options.store.openRuns(a.id)) {
      if (run.lastError !== refusal) await this.options.store.countRun(run.id, {}, { message: refusal, at: now });
    }
    return false;
  }

  private async stats(a: StoredActivation): Promise<ActivationStats> {
    const totals = await this.options.store.totals(a.id);
    return {
      pending: await this.options.store.pendingCount(a.id),
      deadLetters: await this.options.store.deadLetterCount(a.id),
      delivered: totals.delivered,
      ...(totals.lastDeliveredAt ? { lastDeliveredAt: new Date(totals.lastDeliveredAt).toISOString() } : {}),
      ...(totals.lastError ? { lastError: totals.lastError } : {}),
      ...(totals.lastErrorAt ? { lastErrorAt: new Date(totals.lastErrorAt).toISOString() } : {}),
    };
  }

  private validationDeps(): ValidationDeps {
    return { sources: this.options.sources, guard: this.guard, destination: (sandboxId, id) => this.requireDestination(sandboxId, id), definition: (type) => this.definition(type) };
  }

  private remember(a: StoredActivation): void {
    this.forget(a.id);
    this.activations.set(a.id, a);
    if (a.schedule.type === 'streaming' && a.enabled) {
      let byAudience = this.streaming.get(a.sandboxId);
      if (!byAudience) this.streaming.set(a.sandboxId, (byAudience = new Map()));
      for (const audienceId of a.audienceIds) byAudience.set(audienceId, [...(byAudience.get(audienceId) ?? []), a]);
    }
    this.scheduler.sync(a.id, a.schedule, a.enabled);
  }

  private forget(id: string): void {
    const previous = this.activations.get(id);
    this.activations.delete(id);
    if (!previous) return;
    const byAudience = this.streaming.get(previous.sandboxId);
    if (byAudience) {
      for (const [audienceId, list] of byAudience) {
        const rest = list.filter((a) => a.id !== id);
        if (rest.length > 0) byAudience.set(audienceId, rest);
        else byAudience.delete(audienceId);
      }
    }
  }

  /** After create or update: backfill newly mapped audiences (streaming) or run a one-off export. */
  private async started(activation: StoredActivation, addedAudiences: readonly string[], previous?: StoredActivation): Promise<void> {
    if (!activation.enabled) return;
    if (activation.schedule.type === 'streaming') {
      if (addedAudiences.length > 0) await this.trigger(activation, 'backfill', addedAudiences);
      else this.engine.wake(activation.id);
      return;
    }
    const once = activation.schedule.frequency === 'once';
    if (once && (!previous || !previous.enabled || previous.schedule.type !== 'batch' || previous.schedule.frequency !== 'once')) await this.trigger(activation, 'scheduled');
    else this.engine.wake(activation.id);
  }

  private async newRun(sandboxId: string, activationId: string, kind: RunKind): Promise<Run> {
    const run: Run = { id: newId('run'), activationId, kind, status: 'running', startedAt: new Date().toISOString(), queued: 0, delivered: 0, failed: 0, retries: 0, skippedConsent: 0 };
    await this.options.store.createRun({ ...run, sandboxId });
    return run;
  }

  /** The activation's current streaming run, and the run to create when a new one starts (runs are cut every `STREAMING_RUN_MS`). */
  private streamingRun(a: StoredActivation): { runId: string; run?: Run & { sandboxId: string } } {
    const now = Date.now();
    const current = this.streamingRuns.get(a.id);
    if (current && now - current.startedAt < STREAMING_RUN_MS) return { runId: current.runId };
    const runId = newId('run');
    this.streamingRuns.set(a.id, { runId, startedAt: now });
    const run = {
      id: runId,
      sandboxId: a.sandboxId,
      activationId: a.id,
      kind: 'streaming' as const,
      status: 'running' as const,
      startedAt: new Date(now).toISOString(),
      queued: 0,
      delivered: 0,
      failed: 0,
      retries: 0,
      skippedConsent: 0,
    };
    return { runId, run };
  }

  /** The activation's current streaming run id, its row written first when the run is new. */
  private async streamingRunId(a: StoredActivation): Promise<string> {
    const { runId, run } = this.streamingRun(a);
    if (run) await this.options.store.createRun(run);
    return runId;
  }

  /**
   * Entries and exits normally reach the outbox with their memberships (`membership-outbox.ts`);
   * changes committed before this service was wired (a pass while the platform opened), or by a
   * version that announced changes after committing them, would not. At start, each streaming
   * activation re-reads the entries made since the latest change its outbox received
   * (at-least-once: the last ones may repeat).
   */
  private async recover(activation: StoredActivation): Promise<void> {
    const since = (await this.options.store.lastChangeAt(activation.id)) ?? Date.parse(activation.createdAt);
    const runId = await this.streamingRunId(activation);
    await this.options.store.addJobs(
      activation.audienceIds.map((audienceId) => ({
        id: newId('job'),
        sandboxId: activation.sandboxId,
        activationId: activation.id,
        runId,
        audienceId,
        kind: 'recover' as const,
        since,
        cursor: '',
        scheduledAt: Date.now(),
      })),
    );
  }

  /** Starts a run: jobs that page the audiences' members into the outbox, or export them to files. */
  private async trigger(activation: StoredActivation, kind: RunKind, audienceIds: readonly string[] = activation.audienceIds): Promise<Run> {
    const definition = this.definition(activation.destinationType);
    let since = 0;
    if ((kind === 'scheduled' || kind === 'manual') && activation.schedule.type === 'batch' && activation.schedule.exportMode === 'firstFullThenIncremental') {
      // After the first export, only members whose membership changed since the previous export started.
      const previous = [await this.options.store.latestRun(activation.id, 'scheduled'), await this.options.store.latestRun(activation.id, 'manual')]
        .filter((r): r is Run => r !== undefined && r.status !== 'failed')
        .map((r) => Date.parse(r.startedAt));
      if (previous.length > 0) since = Math.max(...previous);
    }
    const run = await this.newRun(activation.sandboxId, activation.id, kind);
    const exporting = definition.exportAudience !== undefined;
    // File names carry the export time to the second: a run right after another is named a second later, never over it.
    const now = exporting ? Math.max(Date.now(), (this.lastExportAt.get(activation.id) ?? 0) + 1000) : Date.now();
    if (exporting) this.lastExportAt.set(activation.id, now);
    const jobs: Job[] = audienceIds.map((audienceId) => ({
      id: newId('job'),
      sandboxId: activation.sandboxId,
      activationId: activation.id,
      runId: run.id,
      audienceId,
      kind: exporting ? 'export' : 'expand',
      since,
      cursor: '',
      scheduledAt: now,
    }));
    await this.options.store.addJobs(jobs);
    if (exporting) await this.options.store.countRun(run.id, { queued: jobs.length });
    this.engine.wake(activation.id);
    return this.present((await this.options.store.getRun(activation.sandboxId, run.id)) ?? run);
  }
}
