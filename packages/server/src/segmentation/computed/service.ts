/**
 * Computed attributes: definitions (validated into plans), and values kept current per profile.
 * After the projector applies records, the people they touched are updated incrementally: only
 * events newer than the last examined log position are read and evaluated; what each event
 * contributed is kept, so a value re-aggregates as events age out of the window (lazily on read,
 * and by a periodic sweep). A different identity graph or definition recomputes from the timeline.
 * Values reach the merged profile (and so PQL audiences and the edge) at `computedAttributes.<name>`.
 *
 * @example
 *   const attr = await computed.create(sandbox, { name: 'spend30d', expression, duration: { count: 30, unit: 'DAYS' } });
 *   await computed.refresh(sandboxId, [identityKey('ECID', ecid)]);
 *   (await profiles.lookup(sandboxId, 'ECID', ecid))?.computedAttributes.spend30d;  // 129.5
 */
import { createHash } from 'node:crypto';
import { problem } from '../../errors.ts';
import { identityKey, type IdentityKey } from '../../identity/graph.ts';
import type { MergedProfile, ProfileService } from '../../profile/service.ts';
import { newId } from '../../storage/ids.ts';
import { isJsonObject, type JsonObject } from '../../storage/json.ts';
import { SerialQueue } from '../../storage/serial-queue.ts';
import { analyze, parse } from '../pql/index.ts';
import { aggregateContributions, emptyValue, inWindow, type Contribution } from './aggregate.ts';
import { planComputedAttribute, type ComputedPlan } from './definition.ts';
import {
  MAX_COMPUTED_ATTRIBUTES,
  type ComputedAttribute,
  type ComputedAttributeCheck,
  type ComputedAttributeInput,
  type ComputedAttributePatch,
  type DefinitionIssue,
  type MergeFunction,
} from './model.ts';
import type { ComputedAttributeStore, ComputedValue } from './store.ts';
import { TimeSlice } from '../../storage/time-slice.ts';

/** The profile path computed values live under (and PQL reads them at). */
export const COMPUTED_ATTRIBUTES_PATH = 'computedAttributes';

/** Most events of one person read within a window for one update. */
export const MAX_EVENTS_PER_WINDOW = 10_000;

/** How often expired values are re-aggregated (values are also checked on every read). */
export const COMPUTED_ATTRIBUTE_SWEEP_MS = 60_000;

/** Expired values re-aggregated per sweep pass. */
const SWEEP_BATCH = 500;

/** Where events come from: the profile timeline (positions and times) and the record log (bodies, cached by the profile service). */
export interface EventSource {
  timeline(sandboxId: string, identities: readonly IdentityKey[], query: { from?: number; eventTypes?: string[]; limit: number }): Promise<{ seq: number; timestamp: number; eventType?: string }[]>;
  /** Parsed bodies by log position (shared with other readers: not to be modified). */
  bodies(seqs: readonly number[]): Promise<Map<number, JsonObject>>;
}

export interface ComputedAttributeDeps {
  store: ComputedAttributeStore;
  profiles: Pick<ProfileService, 'policy' | 'members'>;
  events: EventSource;
  /** Audiences of a sandbox, to refuse deleting an attribute one of them reads. */
  audiences: { list(sandboxId: string): Promise<{ name: string; expression: { value: string } }[]> };
  /** The clock windows slide by (tests inject one); default `Date.now`. */
  clock?: () => number;
}

interface SandboxRef {
  id: string;
  name: string;
}

interface Planned {
  attribute: ComputedAttribute;
  plan: ComputedPlan;
}

/** Told with identities of people whose computed values were just brought up to date (streaming audiences follow). */
export type ComputedListener = (sandboxId: string, identities: readonly IdentityKey[]) => void;

export function keysHash(keys: readonly IdentityKey[]): string {
  return createHash('sha1').update([...keys].sort().join('\n')).digest('hex').slice(0, 20);
}

export class ComputedAttributeService {
  private readonly queue = new SerialQueue();
  private readonly planned = new Map<string, Planned[]>();
  private readonly updatedListeners: ComputedListener[] = [];
  private readonly changedListeners: ComputedListener[] = [];
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ComputedAttributeDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  // ---------------------------------------------------------------------------------------------
  // Definitions

  list(sandboxId: string): Promise<ComputedAttribute[]> {
    return this.deps.store.list(sandboxId);
  }

  async get(sandboxId: string, id: string): Promise<ComputedAttribute> {
    const found = await this.deps.store.get(sandboxId, id);
    if (!found) throw problem('COMPUTED_ATTRIBUTE_NOT_FOUND', `computed attribute ${id} does not exist in this sandbox`);
    return found;
  }

  /** Checks a definition while editing: every problem with its position, or the canonical text and merge function. */
  validate(input: ComputedAttributeCheck): { valid: boolean; errors: DefinitionIssue[]; expression?: string; mergeFunction?: MergeFunction; eventTypes?: string[] } {
    const result = planComputedAttribute(input);
    if (!result.ok) return { valid: false, errors: result.errors };
    const { plan } = result;
    return {
      valid: true,
      errors: [],
      expression: plan.text,
      mergeFunction: plan.fn === 'TOP_N' ? { value: plan.fn, n: plan.n } : { value: plan.fn },
      ...(plan.eventTypes ? { eventTypes: plan.eventTypes } : {}),
    };
  }

  async create(sandbox: SandboxRef, input: ComputedAttributeInput): Promise<ComputedAttribute> {
    const all = await this.deps.store.list(sandbox.id);
    if (all.some((a) => a.name === input.name)) throw problem('NAME_TAKEN', `a computed attribute named "${input.name}" already exists in this sandbox`);
    if (all.length >= MAX_COMPUTED_ATTRIBUTES) throw problem('CONFLICT', `a sandbox holds at most ${MAX_COMPUTED_ATTRIBUTES} computed attributes`);
    const now = Date.now();
    const attribute = this.build(sandbox, newId('ca'), input, now, now);
    await this.deps.store.put(sandbox.id, attribute);
    this.planned.delete(sandbox.id);
    return attribute;
  }

  async update(sandbox: SandboxRef, id: string, patch: ComputedAttributePatch): Promise<ComputedAttribute> {
    const current = await this.get(sandbox.id, id);
    const input: ComputedAttributeInput = {
      name: current.name,
      displayName: patch.displayName ?? current.displayName,
      expression: patch.expression ?? current.expression,
      duration: patch.duration ?? current.duration,
      ...(patch.description ?? current.description ? { description: patch.description ?? current.description } : {}),
      ...(mergeFunctionAfter(current, patch) ?? {}),
    };
    // A later updateTime marks every stored value as computed by the old definition.
    const attribute = this.build(sandbox, id, input, current.creationTime, Math.max(Date.now(), current.updateTime + 1));
    await this.deps.store.put(sandbox.id, attribute);
    this.planned.delete(sandbox.id);
    return attribute;
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    const attribute = await this.get(sandboxId, id);
    const users = (await this.deps.audiences.list(sandboxId)).filter((a) => readsPath(a.expression.value, attribute.path));
    if (users.length > 0) throw problem('COMPUTED_ATTRIBUTE_IN_USE', `audiences ${users.map((a) => `"${a.name}"`).join(', ')} read ${attribute.path}`);
    await this.deps.store.delete(sandboxId, id);
    this.planned.delete(sandboxId);
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    this.planned.delete(sandboxId);
    await this.deps.store.deleteSandbox(sandboxId);
  }

  /** Privacy delete: the person's values go. */
  forgetProfile(sandboxId: string, profileId: string, identities: readonly IdentityKey[]): Promise<void> {
    return this.queue.run(() => this.deps.store.deleteProfile(sandboxId, profileId, identities));
  }

  private build(sandbox: SandboxRef, id: string, input: ComputedAttributeInput, creationTime: number, updateTime: number): ComputedAttribute {
    const result = planComputedAttribute(input);
    if (!result.ok) throw problem(result.code, result.errors.map((e) => e.message).join('; '), { errors: result.errors });
    const { plan } = result;
    return {
      id,
      name: input.name,
      displayName: input.displayName ?? input.name,
      ...(input.description ? { description: input.description } : {}),
      path: `${COMPUTED_ATTRIBUTES_PATH}.${input.name}`,
      expression: { type: 'PQL', format: 'pql/text', value: plan.text },
      mergeFunction: plan.fn === 'TOP_N' ? { value: plan.fn, n: plan.n } : { value: plan.fn },
      duration: input.duration,
      sandbox: { sandboxId: sandbox.id, sandboxName: sandbox.name },
      creationTime,
      updateTime,
      updateEpoch: Math.floor(updateTime / 1000),
    };
  }

  private async plansOf(sandboxId: string): Promise<Planned[]> {
    let list = this.planned.get(sandboxId);
    if (!list) {
      list = [];
      for (const attribute of await this.deps.store.list(sandboxId)) {
        const result = planComputedAttribute(attribute);
        if (result.ok) list.push({ attribute, plan: result.plan });
      }
      this.planned.set(sandboxId, list);
    }
    return list;
  }

  // ---------------------------------------------------------------------------------------------
  // Values

  /** Told after every update pass, even a failed one (streaming audiences evaluate the same people next). */
  onUpdated(listener: ComputedListener): void {
    this.updatedListeners.push(listener);
  }

  /** Told when a person's values changed (the edge projection refreshes them). */
  onChanged(listener: ComputedListener): void {
    this.changedListeners.push(listener);
  }

  /** Brings the values of the people holding these identities up to date; passes run one at a time, in call order. */
  refresh(sandboxId: string, identities: readonly IdentityKey[]): Promise<void> {
    return this.queue.run(() => this.refreshNow(sandboxId, identities));
  }

  /** Resolves when no update or sweep is left. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * The profile enricher: puts the person's values at `computedAttributes.<name>` (in the profile's
   * attributes, which PQL reads, and in `profile.computedAttributes`). A stored value that is
   * current is used as is; an expired one, or one from another definition or identity graph, is
   * recomputed first.
   */
  async enrich(sandboxId: string, profile: MergedProfile): Promise<void> {
    const planned = await this.plansOf(sandboxId);
    if (planned.length === 0) return;
    const keys = profile.identities.map((i) => identityKey(i.namespace, i.id));
    if (keys.length === 0) return;
    const now = this.clock();
    const hash = keysHash(keys);
    let values = await this.deps.store.valuesOf(sandboxId, profile.profileId);
    const current = (p: Planned, v: ComputedValue | undefined) => v !== undefined && isCurrent(v, p, hash, now);
    const byId = new Map(values.map((v) => [v.attributeId, v]));
    if (!planned.every((p) => current(p, byId.get(p.attribute.id)))) {
      values = await this.queue.run(async () => {
        const result = await this.compute(sandboxId, profile.profileId, keys, keys[0], now);
        // A value that moved on read (an event aged out before the sweep saw it) is news for audiences and the edge.
        if (result.changed && result.hadValues) this.announce(sandboxId, keys, { updated: true, changed: true });
        return result.values;
      });
    }
    const found = new Map(values.map((v) => [v.attributeId, v]));
    const out: JsonObject = {};
    for (const { attribute, plan } of planned) {
      const value = found.get(attribute.id)?.value ?? emptyValue(plan.fn);
      if (value !== null) out[attribute.name] = value;
    }
    profile.computedAttributes = { ...profile.computedAttributes, ...out };
    const existing = profile.attributes[COMPUTED_ATTRIBUTES_PATH];
    profile.attributes[COMPUTED_ATTRIBUTES_PATH] = { ...(isJsonObject(existing) ? existing : {}), ...out };
  }

  /**
   * Re-aggregates values whose window moved past one of their events, and tells listeners about
   * the people whose values changed. Returns how many values were re-aggregated.
   */
  sweep(now: number = this.clock()): Promise<number> {
    return this.queue.run(async () => {
      const due = await this.deps.store.expired(now, SWEEP_BATCH);
      const changed = new Map<string, IdentityKey[]>();
      const bySandbox = new Map<string, ComputedValue[]>();
      for (const row of due) {
        const planned = (await this.plansOf(row.sandboxId)).find((p) => p.attribute.id === row.attributeId);
        let next: ComputedValue;
        if (!planned || planned.attribute.updateTime !== row.version) {
          // Computed by an older definition: recomputed from the timeline when next read.
          next = { ...row, expiresAt: null };
        } else {
          const agg = aggregateContributions(planned.plan, row.contributions, now);
          next = { ...row, value: agg.value, contributions: agg.kept, expiresAt: agg.expiresAt, updatedAt: now };
          if (JSON.stringify(agg.value) !== JSON.stringify(row.value)) changed.set(row.sandboxId, [...(changed.get(row.sandboxId) ?? []), row.identity]);
        }
        bySandbox.set(row.sandboxId, [...(bySandbox.get(row.sandboxId) ?? []), next]);
      }
      for (const [sandboxId, rows] of bySandbox) await this.deps.store.putValues(sandboxId, rows);
      for (const [sandboxId, identities] of changed) this.announce(sandboxId, [...new Set(identities)], { updated: true, changed: true });
      return due.length;
    });
  }

  /** Sweeps every `intervalMs` until `stop()`. */
  start(intervalMs: number): void {
    this.stop();
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      // Batch after batch until the backlog is gone; each batch is one queue task, so updates interleave.
      const drain = async () => {
        let swept = SWEEP_BATCH;
        while (swept === SWEEP_BATCH && this.timer !== undefined) swept = await this.sweep();
      };
      drain()
        .catch((err: Error) => process.emitWarning(`computed attribute sweep failed (retried on the next interval): ${err.message}`))
        .finally(() => (running = false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refreshNow(sandboxId: string, identities: readonly IdentityKey[]): Promise<void> {
    const changed: IdentityKey[] = [];
    try {
      if ((await this.plansOf(sandboxId)).length === 0) return;
      const policy = await this.deps.profiles.policy(sandboxId);
      const seen = new Set<string>();
      const now = this.clock();
      const slice = new TimeSlice();
      for (const identity of identities) {
        await slice.yieldIfSpent();
        const person = await this.deps.profiles.members(sandboxId, identity, policy);
        if (!person || seen.has(person.profileId)) continue;
        seen.add(person.profileId);
        const result = await this.compute(sandboxId, person.profileId, person.keys, identity, now);
        if (result.changed) changed.push(...person.keys);
        // A new profile id or identity graph: values kept for a graph that merged into this one are stale.
        if (result.recomputed) await this.deps.store.deleteStale(sandboxId, person.profileId, person.keys);
      }
    } finally {
      // Inside the pass, so streaming audiences are queued before anyone waiting for idle() resumes.
      if (changed.length > 0) this.announce(sandboxId, changed, { updated: false, changed: true });
      this.announce(sandboxId, identities, { updated: true, changed: false });
    }
  }

  private announce(sandboxId: string, identities: readonly IdentityKey[], to: { updated: boolean; changed: boolean }) {
    if (to.changed) for (const listener of this.changedListeners) listener(sandboxId, identities);
    if (to.updated) for (const listener of this.updatedListeners) listener(sandboxId, identities);
  }

  /**
   * Brings one person's values up to date at `now`: stored contributions are kept (pruned to the
   * window), events after the last examined log position are evaluated and added; a value from
   * another definition or identity graph is recomputed from the events in its window.
   */
  private async compute(sandboxId: string, profileId: string, keys: readonly IdentityKey[], identity: IdentityKey, now: number): Promise<{ values: ComputedValue[]; changed: boolean; hadValues: boolean; recomputed: boolean }> {
    const planned = await this.plansOf(sandboxId);
    if (planned.length === 0) return { values: [], changed: false, hadValues: false, recomputed: false };
    const hash = keysHash(keys);
    const stored = new Map((await this.deps.store.valuesOf(sandboxId, profileId)).map((v) => [v.attributeId, v]));
    const longest = Math.max(...planned.map((p) => p.plan.windowMs));
    const narrowed = planned.every((p) => p.plan.eventTypes) ? [...new Set(planned.flatMap((p) => p.plan.eventTypes ?? []))] : undefined;
    const entries = await this.deps.events.timeline(sandboxId, keys, {
      from: now - longest + 1,
      limit: MAX_EVENTS_PER_WINDOW,
      ...(narrowed ? { eventTypes: narrowed } : {}),
    });
    const maxSeq = entries.reduce((m, e) => Math.max(m, e.seq), -1);

    // What each attribute still needs evaluated, then every needed body read once.
    const needs = planned.map((p) => {
      const previous = stored.get(p.attribute.id);
      const reuse = previous !== undefined && previous.version === p.attribute.updateTime && previous.keysHash === hash ? previous : undefined;
      const fresh = entries.filter(
        (e) => (reuse === undefined || e.seq > reuse.maxSeq) && inWindow(e.timestamp, now, p.plan.windowMs) && (!p.plan.eventTypes || (e.eventType !== undefined && p.plan.eventTypes.includes(e.eventType))),
      );
      return { ...p, previous, reuse, fresh };
    });
    const seqs = [...new Set(needs.flatMap((n) => n.fresh.map((e) => e.seq)))];
    const bodies = seqs.length > 0 ? await this.deps.events.bodies(seqs) : new Map<number, JsonObject>();

    const values: ComputedValue[] = [];
    const writes: ComputedValue[] = [];
    let changed = false;
    for (const { attribute, plan, previous, reuse, fresh } of needs) {
      const added: Contribution[] = [];
      for (const e of fresh) {
        const body = bodies.get(e.seq);
        const c = body ? plan.contribute(body) : undefined;
        if (c !== undefined) added.push([e.seq, e.timestamp, c]);
      }
      const known = new Set(added.map((c) => c[0]));
      const all = [...(reuse?.contributions ?? []).filter((c) => !known.has(c[0])), ...added];
      const agg = aggregateContributions(plan, all, now);
      const value: ComputedValue = {
        attributeId: attribute.id,
        profileId,
        identity: reuse?.identity ?? identity,
        keysHash: hash,
        version: attribute.updateTime,
        maxSeq: Math.max(maxSeq, reuse?.maxSeq ?? -1),
        value: agg.value,
        contributions: agg.kept,
        expiresAt: agg.expiresAt,
        updatedAt: now,
      };
      values.push(value);
      // Someone without events in the window needs no row (a batch reading every profile writes nothing for them).
      if (previous === undefined && entries.length === 0) continue;
      const differs = previous === undefined || JSON.stringify(previous.value) !== JSON.stringify(agg.value);
      if (differs) changed = true;
      if (differs || !reuse || reuse.maxSeq !== value.maxSeq || reuse.contributions.length !== agg.kept.length || reuse.expiresAt !== agg.expiresAt) writes.push(value);
    }
    await this.deps.store.putValues(sandboxId, writes);
    return { values, changed, hadValues: stored.size > 0, recomputed: needs.some((n) => n.reuse === undefined) };
  }
}

/** A stored value that needs no work at `now`: same definition, same identity graph, no event aged out. */
function isCurrent(v: ComputedValue, p: Planned, hash: string, now: number): boolean {
  return v.version === p.attribute.updateTime && v.keysHash === hash && (v.expiresAt === null || v.expiresAt > now);
}

/**
 * The merge function a PATCH leaves: the one it gives; else, with a new expression, none (so it is
 * inferred from `.sum()`...) unless the current one is MOST_RECENT/TOP_N, which cannot be inferred.
 */
function mergeFunctionAfter(current: ComputedAttribute, patch: ComputedAttributePatch): { mergeFunction: MergeFunction } | undefined {
  if (patch.mergeFunction) return { mergeFunction: patch.mergeFunction };
  const keep = !patch.expression || current.mergeFunction.value === 'MOST_RECENT' || current.mergeFunction.value === 'TOP_N';
  return keep ? { mergeFunction: current.mergeFunction } : undefined;
}

/** Whether PQL text reads a profile path (or below it). */
function readsPath(text: string, path: string): boolean {
  const parsed = parse(text);
  return parsed.ok && analyze(parsed.ast).profilePaths.some((p) => p === path || p.startsWith(`${path}.`));
}
