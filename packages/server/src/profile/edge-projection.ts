/**
 * The edge projection: a compact, bounded, in-memory view of merged profiles (the attributes the
 * edge needs, and audience memberships) for the decisioning hot path. Kept current on every write
 * to a cached person; a miss reads the store once (cold path) and caches the result.
 *
 * @example
 *   const view = await projection.get(sandboxId, identityKey('ECID', ecid));
 *   view?.attributes.loyalty;
 */
import type { IdentityKey } from '../identity/graph.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import type { MergedProfile, ProfileService } from './service.ts';
import { TimeSlice } from '../storage/time-slice.ts';

export interface EdgeProfile {
  profileId: string;
  identities: IdentityKey[];
  attributes: JsonObject;
  /** audience id → membership status (`realized` / `existing`). */
  memberships: Record<string, string>;
  computedAttributes: JsonObject;
}

export interface EdgeProjectionOptions {
  /** Most people held in memory; the least recently used leave first. */
  maxProfiles: number;
  /** Attribute paths the edge needs (e.g. `loyalty.tier`); empty means all attributes. */
  attributes: readonly string[];
}

/**
 * What is held per person: the parts as one JSON string (one byte per character in V8, and no
 * per-property object overhead), parsed when a decision asks for it.
 */
interface HeldView {
  sandboxId: string;
  profileId: string;
  identities: IdentityKey[];
  json: string;
}

/** A refresh whose read failed: a reader waiting on it reads the person itself. */
const REFRESH_FAILED = Symbol('refresh failed');

interface SandboxViews {
  people: Map<string, HeldView>;
  byIdentity: Map<IdentityKey, HeldView>;
}

function pick(source: JsonObject, paths: readonly string[]): JsonObject {
  if (paths.length === 0) return source;
  const out: JsonObject = {};
  for (const path of paths) {
    const parts = path.split('.');
    let from: JsonValue | undefined = source;
    for (const part of parts) from = isJsonObject(from) ? from[part] : undefined;
    if (from === undefined) continue;
    let to = out;
    for (const part of parts.slice(0, -1)) {
      if (!isJsonObject(to[part])) to[part] = {};
      to = to[part] as JsonObject;
    }
    to[parts[parts.length - 1]] = from;
  }
  return out;
}

export class EdgeProjection {
  private readonly sandboxes = new Map<string, SandboxViews>();
  /** Every held view, least recently used first. */
  private readonly lru = new Map<HeldView, true>();
  /** Views being recomputed after a write, and the recomputed view each will hold. */
  private readonly refreshing = new Map<HeldView, Promise<EdgeProfile | undefined | typeof REFRESH_FAILED>>();
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly profiles: ProfileService,
    private readonly options: EdgeProjectionOptions,
  ) {}

  async get(sandboxId: string, identity: IdentityKey): Promise<EdgeProfile | undefined> {
    const held = this.sandboxes.get(sandboxId)?.byIdentity.get(identity);
    const refreshing = held && this.refreshing.get(held);
    if (refreshing) {
      // Being recomputed after a write: the fresh view, as soon as it is ready (never the stale one).
      const fresh = await refreshing;
      if (fresh !== REFRESH_FAILED) {
        this.hits++;
        return fresh;
      }
    } else if (held) {
      this.hits++;
      this.lru.delete(held);
      this.lru.set(held, true);
      return this.expand(held);
    }
    this.misses++;
    const view = await this.load(sandboxId, identity);
    if (view) this.remember(sandboxId, view);
    return view;
  }

  /** Whether any person of the sandbox is held (a refresh of its people has something to do). */
  holdsAnyone(sandboxId: string): boolean {
    return (this.sandboxes.get(sandboxId)?.people.size ?? 0) > 0;
  }

  /**
   * Recomputes the held views of the people these identities belong to (after a write). Until a
   * person's view is recomputed, reads of it wait for the new one instead of missing.
   */
  async refresh(sandboxId: string, identities: readonly IdentityKey[]): Promise<void> {
    const views = this.sandboxes.get(sandboxId);
    if (!views) return;
    const stale = new Map<HeldView, (fresh: EdgeProfile | undefined | typeof REFRESH_FAILED) => void>();
    for (const identity of identities) {
      const held = views.byIdentity.get(identity);
      if (held && !stale.has(held) && !this.refreshing.has(held)) this.refreshing.set(held, new Promise((resolve) => stale.set(held, resolve)));
    }
    const slice = new TimeSlice();
    let failure: unknown;
    // Every waiting reader is answered, whatever fails on the way.
    for (const [held, resolve] of stale) {
      let fresh: EdgeProfile | undefined | typeof REFRESH_FAILED = REFRESH_FAILED;
      try {
        await slice.yieldIfSpent();
        fresh = await this.load(sandboxId, held.identities[0]);
      } catch (err) {
        failure ??= err;
      }
      this.refreshing.delete(held);
      if (fresh !== REFRESH_FAILED && fresh) this.remember(sandboxId, fresh);
      else this.drop(held);
      resolve(fresh);
    }
    if (failure !== undefined) throw failure;
  }

  /** Drops the people these identities belong to (privacy delete). */
  forget(sandboxId: string, identities: readonly IdentityKey[]): void {
    const views = this.sandboxes.get(sandboxId);
    for (const identity of identities) {
      const held = views?.byIdentity.get(identity);
      if (held) this.drop(held);
    }
  }

  forgetSandbox(sandboxId: string): void {
    const views = this.sandboxes.get(sandboxId);
    for (const held of views?.people.values() ?? []) this.lru.delete(held);
    this.sandboxes.delete(sandboxId);
  }

  stats() {
    let identities = 0;
    for (const views of this.sandboxes.values()) identities += views.byIdentity.size;
    return { people: this.lru.size, identities, hits: this.hits, misses: this.misses };
  }

  private async load(sandboxId: string, identity: IdentityKey): Promise<EdgeProfile | undefined> {
    const policy = await this.profiles.edgePolicy(sandboxId);
    const members = await this.profiles.members(sandboxId, identity, policy);
    if (!members) return undefined;
    const merged = await this.profiles.assemble(sandboxId, members.profileId, members.keys, policy);
    return this.compact(merged, members.keys);
  }

  private compact(profile: MergedProfile, identities: IdentityKey[]): EdgeProfile {
    const memberships: Record<string, string> = {};
    for (const [audienceId, membership] of Object.entries(profile.segmentMembership.ups)) {
      const status = membership.status;
      if (status === 'realized' || status === 'existing') memberships[audienceId] = status;
    }
    return {
      profileId: profile.profileId,
      identities,
      attributes: pick(profile.attributes, this.options.attributes),
      memberships,
      computedAttributes: profile.computedAttributes,
    };
  }

  private expand(held: HeldView): EdgeProfile {
    const parts = JSON.parse(held.json) as { a?: JsonObject; m?: Record<string, string>; c?: JsonObject };
    return { profileId: held.profileId, identities: held.identities, attributes: parts.a ?? {}, memberships: parts.m ?? {}, computedAttributes: parts.c ?? {} };
  }

  private remember(sandboxId: string, view: EdgeProfile) {
    let views = this.sandboxes.get(sandboxId);
    if (!views) this.sandboxes.set(sandboxId, (views = { people: new Map(), byIdentity: new Map() }));
    const previous = views.people.get(view.profileId);
    if (previous) this.drop(previous);
    const held: HeldView = {
      sandboxId,
      profileId: view.profileId,
      identities: view.identities,
      // Short keys and no empty parts: this string is most of the bytes held per person.
      json: JSON.stringify({
        ...(Object.keys(view.attributes).length ? { a: view.attributes } : {}),
        ...(Object.keys(view.memberships).length ? { m: view.memberships } : {}),
        ...(Object.keys(view.computedAttributes).length ? { c: view.computedAttributes } : {}),
      }),
    };
    views.people.set(held.profileId, held);
    this.lru.set(held, true);
    for (const k of held.identities) {
      // An identity that moved to this person leaves its previous person's view.
      const other = views.byIdentity.get(k);
      if (other && other !== held) this.drop(other);
      views.byIdentity.set(k, held);
    }
    while (this.lru.size > this.options.maxProfiles) this.drop(this.lru.keys().next().value as HeldView);
  }

  private drop(held: HeldView) {
    this.lru.delete(held);
    const views = this.sandboxes.get(held.sandboxId);
    if (!views) return;
    if (views.people.get(held.profileId) === held) views.people.delete(held.profileId);
    for (const k of held.identities) if (views.byIdentity.get(k) === held) views.byIdentity.delete(k);
  }
}
