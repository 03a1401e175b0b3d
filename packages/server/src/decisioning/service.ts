/**
 * The decisioning service: offers and activities (validated, stored), one compiled snapshot of live
 * activities per sandbox held in memory for `decide()`, impressions and conversions recorded for
 * reports (impressions buffered and written in one transaction per flush, off the decision path),
 * and the auto-allocate bandit recomputed every epoch from those records.
 *
 * @example
 *   const service = new DecisioningService(new SqliteDecisioningStore(db), { audienceExists: async () => true });
 *   await service.load();
 *   const result = service.decide(sandboxId, { visitorId: 'ecid-1', scopes: ['__view__'], context: { url } });
 *   service.recordImpression(sandboxId, { eventToken: result.propositions[0].scopeDetails.characteristics.eventToken, visitorId: 'ecid-1' });
 */
import { problem } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import type { JsonObject, JsonValue } from '../storage/json.ts';
import { isJsonObject } from '../storage/json.ts';
import { computeAllocation } from './bandit.ts';
import { decide } from './decide.ts';
import type { Activity, ActivityInput, Allocation, Offer, OfferInput } from './model.ts';
import { buildReport, type ActivityReport } from './report.ts';
import { decodeEventToken, type DecisionRequest, type DecisionResult } from './request.ts';
import { compileSnapshot, emptySnapshot, type DecisionSnapshot } from './snapshot.ts';
import type { DecisioningStore, ImpressionRow } from './store.ts';
import { validateActivity, validateOffer } from './validate.ts';

export interface DecisioningOptions {
  /** Whether an audience exists in the sandbox (activity validation). */
  audienceExists(sandboxId: string, audienceId: string): Promise<boolean>;
  /** How often auto-allocate traffic is recomputed (one allocation epoch); default 15 minutes. */
  reallocateIntervalMs?: number;
  /** How long impressions wait in memory before one transaction writes them; default 1 s. */
  flushIntervalMs?: number;
  onError?(error: Error): void;
  now?(): number;
}

/** An impression: the proposition's eventToken, or the activity and experience directly. */
export type ImpressionInput = { visitorId: string; profileId?: string; at?: number } & (
  | { eventToken: string }
  | { activityId: string; experienceId: string; audiences?: readonly string[] }
);

export interface ConversionInput {
  visitorId: string;
  profileId?: string;
  /** `event`: an event of `eventType` (credited to activities whose metric is that type); `click`: a click on an activity's content. */
  kind: 'event' | 'click';
  eventType?: string;
  /** Required for clicks (or an eventToken); for events, limits crediting to this activity. */
  activityId?: string;
  eventToken?: string;
  /** Revenue of this conversion; when absent it is read from `event` at the activity's revenue field. */
  revenue?: number;
  event?: JsonObject;
  at?: number;
}

function readPath(source: JsonValue | undefined, path: string): JsonValue | undefined {
  let current = source;
  for (const part of path.split('.')) current = isJsonObject(current) ? current[part] : undefined;
  return current;
}

interface SandboxRef {
  id: string;
}

export class DecisioningService {
  private readonly snapshots = new Map<string, DecisionSnapshot>();
  private versions = 0;
  private pending = new Map<string, ImpressionRow[]>();
  private flushTimer: NodeJS.Timeout | undefined;
  private reallocateTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: DecisioningStore,
    private readonly options: DecisioningOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Loads the snapshots of every sandbox with live activities (at start). */
  async load(): Promise<void> {
    for (const sandboxId of await this.store.sandboxesWithLiveActivities()) await this.rebuild(sandboxId);
  }

  /** Starts the periodic reallocation of auto-allocate activities. */
  start(): void {
    const every = this.options.reallocateIntervalMs ?? 15 * 60_000;
    this.reallocateTimer = setInterval(() => {
      this.reallocateAll().catch((error: Error) => this.options.onError?.(error));
    }, every);
    this.reallocateTimer.unref();
  }

  async close(): Promise<void> {
    if (this.reallocateTimer) clearInterval(this.reallocateTimer);
    await this.flush();
  }

  /** The loaded snapshot of a sandbox's live activities (empty when it has none). */
  snapshot(sandboxId: string): DecisionSnapshot {
    return this.snapshots.get(sandboxId) ?? emptySnapshot(sandboxId, sandboxId);
  }

  /** `decide()` against the sandbox's current snapshot: synchronous, no I/O. */
  decide(sandboxId: string, request: DecisionRequest): DecisionResult {
    return decide(request, this.snapshot(sandboxId));
  }

  /* ------------------------------------------------------------------ offers */

  listOffers(sandboxId: string) {
    return this.store.listOffers(sandboxId);
  }

  async getOffer(sandboxId: string, id: string): Promise<Offer> {
    const offer = await this.store.getOffer(sandboxId, id);
    if (!offer) throw problem('OFFER_NOT_FOUND', `offer ${id} does not exist in this sandbox`);
    return offer;
  }

  async createOffer(sandbox: SandboxRef, input: OfferInput): Promise<Offer> {
    this.checkOffer(input);
    const at = new Date(this.now()).toISOString();
    const offer: Offer = { id: newId('off'), name: input.name, ...(input.description ? { description: input.description } : {}), content: input.content, createdAt: at, updatedAt: at };
    await this.store.putOffer(sandbox.id, offer);
    return offer;
  }

  async updateOffer(sandbox: SandboxRef, id: string, input: OfferInput): Promise<Offer> {
    const current = await this.getOffer(sandbox.id, id);
    this.checkOffer(input);
    const offer: Offer = { id, name: input.name, ...(input.description ? { description: input.description } : {}), content: input.content, createdAt: current.createdAt, updatedAt: new Date(this.now()).toISOString() };
    await this.store.putOffer(sandbox.id, offer);
    await this.rebuild(sandbox.id);
    return offer;
  }

  async deleteOffer(sandboxId: string, id: string): Promise<void> {
    await this.getOffer(sandboxId, id);
    const users = (await this.store.listActivities(sandboxId)).filter((a) => a.experiences.some((e) => e.offerIds.includes(id)));
    if (users.length > 0) throw problem('OFFER_IN_USE', `activities ${users.map((a) => `"${a.name}"`).join(', ')} use this offer`);
    await this.store.deleteOffer(sandboxId, id);
  }

  private checkOffer(input: OfferInput) {
    const errors = validateOffer(input);
    if (errors.length > 0) throw problem('OFFER_INVALID', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }

  /* -------------------------------------------------------------- activities */

  listActivities(sandboxId: string) {
    return this.store.listActivities(sandboxId);
  }

  async getActivity(sandboxId: string, id: string): Promise<Activity> {
    const activity = await this.store.getActivity(sandboxId, id);
    if (!activity) throw problem('ACTIVITY_NOT_FOUND', `activity ${id} does not exist in this sandbox`);
    return activity;
  }

  async createActivity(sandbox: SandboxRef, input: ActivityInput): Promise<Activity> {
    const at = new Date(this.now()).toISOString();
    const activity = await this.build(sandbox.id, newId('act'), input, at);
    await this.store.putActivity(sandbox.id, activity);
    await this.rebuild(sandbox.id);
    return activity;
  }

  async updateActivity(sandbox: SandboxRef, id: string, input: ActivityInput): Promise<Activity> {
    const current = await this.getActivity(sandbox.id, id);
    const activity = await this.build(sandbox.id, id, input, current.createdAt);
    await this.store.putActivity(sandbox.id, activity);
    await this.rebuild(sandbox.id);
    return activity;
  }

  async deleteActivity(sandboxId: string, id: string): Promise<void> {
    await this.getActivity(sandboxId, id);
    await this.flush();
    await this.store.deleteActivity(sandboxId, id);
    await this.rebuild(sandboxId);
  }

  private async build(sandboxId: string, id: string, input: ActivityInput, createdAt: string): Promise<Activity> {
    const offerIds = new Set((await this.store.listOffers(sandboxId)).map((o) => o.id));
    const audiences = new Set<string>();
    const collect = (c: ActivityInput['audience']) => {
      if (!c) return;
      if (c.type === 'audience') audiences.add(c.audienceId);
      else if (c.type === 'all' || c.type === 'any') c.conditions.forEach(collect);
      else if (c.type === 'not') collect(c.condition);
    };
    collect(input.audience);
    input.experiences.forEach((e) => collect(e.audience));
    const known = new Set<string>();
    for (const audienceId of audiences) if (await this.options.audienceExists(sandboxId, audienceId)) known.add(audienceId);
    const errors = validateActivity(input, { offerExists: (o) => offerIds.has(o), audienceExists: (a) => known.has(a) });
    if (errors.length > 0) throw problem('ACTIVITY_INVALID', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    return {
      id,
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      type: input.type,
      status: input.status ?? 'draft',
      priority: input.priority ?? 0,
      ...(input.startsAt ? { startsAt: new Date(input.startsAt).toISOString() } : {}),
      ...(input.endsAt ? { endsAt: new Date(input.endsAt).toISOString() } : {}),
      location: input.location,
      ...(input.audience ? { audience: input.audience } : {}),
      experiences: input.experiences,
      ...(input.fallbackExperienceId ? { fallbackExperienceId: input.fallbackExperienceId } : {}),
      holdoutPercent: input.holdoutPercent ?? 0,
      metric: input.metric,
      ...(input.autoAllocate ? { autoAllocate: input.autoAllocate } : {}),
      createdAt,
      updatedAt: new Date(this.now()).toISOString(),
    };
  }

  /** Recompiles the sandbox's snapshot from storage and swaps it in. */
  private async rebuild(sandboxId: string): Promise<void> {
    const activities = await this.store.listActivities(sandboxId);
    const live = activities.filter((a) => a.status === 'live');
    if (live.length === 0) {
      this.snapshots.delete(sandboxId);
      return;
    }
    const offers = new Map((await this.store.listOffers(sandboxId)).map((o) => [o.id, o]));
    const allocations = await this.store.listAllocations(sandboxId);
    const snapshot = compileSnapshot({ sandboxId, client: sandboxId, version: ++this.versions, activities: live, offers, allocations });
    if (snapshot.skipped.length > 0) this.options.onError?.(new Error(`live activities ${snapshot.skipped.join(', ')} of sandbox ${sandboxId} do not compile and are not served`));
    this.snapshots.set(sandboxId, snapshot);
  }

  /* ------------------------------------------------------------------ events */

  /** Queues an impression (written within `flushIntervalMs`); returns false for a malformed eventToken. */
  recordImpression(sandboxId: string, input: ImpressionInput): boolean {
    let activityId: string;
    let experienceId: string;
    let audiences: readonly string[];
    if ('eventToken' in input) {
      const token = decodeEventToken(input.eventToken);
      if (!token) return false;
      ({ activityId, experienceId, audiences } = token);
    } else {
      ({ activityId, experienceId } = input);
      audiences = input.audiences ?? [];
    }
    let rows = this.pending.get(sandboxId);
    if (!rows) this.pending.set(sandboxId, (rows = []));
    rows.push({ activityId, experienceId, visitorKey: input.profileId || input.visitorId, audiences, at: input.at ?? this.now() });
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flush().catch((error: Error) => this.options.onError?.(error));
      }, this.options.flushIntervalMs ?? 1000);
      this.flushTimer.unref();
    }
    return true;
  }

  /**
   * Queues one impression per proposition of a decision (Target's `execute`: content delivered is
   * content seen). Prefetched content should instead be recorded when its display notification comes.
   */
  recordDecision(sandboxId: string, request: Pick<DecisionRequest, 'visitorId' | 'profileId' | 'now'>, result: DecisionResult): void {
    const seen = new Set<string>();
    for (const p of result.propositions) {
      // An activity answering several scopes of one request was seen once.
      if (seen.has(p.activity.id)) continue;
      seen.add(p.activity.id);
      this.recordImpression(sandboxId, {
        eventToken: p.scopeDetails.characteristics.eventToken,
        visitorId: request.visitorId,
        ...(request.profileId ? { profileId: request.profileId } : {}),
        ...(request.now !== undefined ? { at: request.now } : {}),
      });
    }
  }

  /** Writes every queued impression. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    const written = new Set<string>();
    for (const [sandboxId, rows] of pending) {
      try {
        await this.store.recordImpressions(sandboxId, rows); // one transaction: all or nothing
        written.add(sandboxId);
      } catch (err) {
        // Not lost: back in the queue, ahead of newer ones, for the next flush.
        for (const [sandbox, unwritten] of pending) {
          if (!written.has(sandbox)) this.pending.set(sandbox, [...unwritten, ...(this.pending.get(sandbox) ?? [])]);
        }
        throw err;
      }
    }
  }

  /**
   * Credits a conversion to every activity (or the one named) whose metric it meets and in which
   * this visitor has an impression — under the profile id, or else the visitor id — to the
   * experience the visitor saw last. Returns the activities credited.
   */
  async recordConversion(sandboxId: string, input: ConversionInput): Promise<string[]> {
    await this.flush();
    const keys = [...new Set([input.profileId, input.visitorId].filter((k): k is string => typeof k === 'string' && k !== ''))];
    const named = input.eventToken ? decodeEventToken(input.eventToken)?.activityId : input.activityId;
    const candidates = named ? [named] : await this.store.activitiesSeenBy(sandboxId, keys);
    const credited: string[] = [];
    for (const activityId of candidates) {
      const activity = await this.store.getActivity(sandboxId, activityId);
      if (!activity) continue;
      const metric = activity.metric;
      const meets = metric.type === 'click' ? input.kind === 'click' : input.kind === 'event' && input.eventType === metric.eventType;
      if (!meets) continue;
      let revenue = input.revenue;
      if (revenue === undefined && metric.type === 'event' && metric.revenueField && input.event) {
        const value = readPath(input.event, metric.revenueField);
        revenue = typeof value === 'number' && Number.isFinite(value) ? value : undefined;
      }
      const n = await this.store.recordConversions(sandboxId, [{ activityId, visitorKeys: keys, revenue: revenue ?? 0, at: input.at ?? this.now() }]);
      if (n > 0) credited.push(activityId);
    }
    return credited;
  }

  /* ------------------------------------------------------------ auto-allocate */

  /** Recomputes the traffic of the sandbox's live auto-allocate activities (a new epoch) and reloads the snapshot. */
  async reallocate(sandboxId: string): Promise<Map<string, Allocation>> {
    await this.flush();
    const previous = await this.store.listAllocations(sandboxId);
    const result = new Map<string, Allocation>();
    for (const activity of await this.store.listActivities(sandboxId)) {
      if (activity.type !== 'auto-allocate' || activity.status !== 'live') continue;
      const totals = new Map((await this.store.experienceTotals(sandboxId, activity.id)).map((t) => [t.experienceId, { visitors: t.visitors, conversions: t.convertedVisitors }]));
      const allocation = computeAllocation(activity, totals, (previous.get(activity.id)?.epoch ?? 0) + 1, this.now());
      await this.store.putAllocation(sandboxId, activity.id, allocation);
      result.set(activity.id, allocation);
    }
    if (result.size > 0) await this.rebuild(sandboxId);
    return result;
  }

  private async reallocateAll(): Promise<void> {
    for (const sandboxId of [...this.snapshots.keys()]) {
      if (this.snapshots.get(sandboxId)?.activities.some((a) => a.activity.type === 'auto-allocate')) await this.reallocate(sandboxId);
    }
  }

  /* ----------------------------------------------------------------- reports */

  async report(sandboxId: string, id: string): Promise<ActivityReport> {
    const activity = await this.getActivity(sandboxId, id);
    await this.flush();
    const allocation = (await this.store.listAllocations(sandboxId)).get(id);
    return buildReport({
      activity,
      totals: await this.store.experienceTotals(sandboxId, id),
      audienceTotals: await this.store.audienceTotals(sandboxId, id),
      daily: await this.store.dailyTotals(sandboxId, id),
      ...(allocation ? { allocation } : {}),
      now: this.now(),
    });
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    this.pending.delete(sandboxId);
    this.snapshots.delete(sandboxId);
    await this.store.deleteSandbox(sandboxId);
  }
}
