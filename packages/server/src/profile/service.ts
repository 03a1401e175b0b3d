/**
 * Profile service: merge policies and the unified real-time profile. A lookup by any identity of a
 * person returns the same profile: the graph's identities, its fragments merged by the policy,
 * audience memberships and computed attributes (filled by the audience domain), and its timeline.
 *
 * @example
 *   const profile = await profiles.lookup(sandboxId, 'Email', 'ann@example.com');
 *   profile?.attributes.loyalty; // { tier: 'gold', ... }
 */
import { problem } from '../errors.ts';
import type { IdentityService } from '../identity/service.ts';
import { soloProfileId, splitIdentityKey, type IdentityKey } from '../identity/graph.ts';
import type { RecordStore } from '../ingest/record-store.ts';
import { newId } from '../storage/ids.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import { EventCache } from './event-cache.ts';
import { mergeFragments, type ProfileFragment } from './merge.ts';
import { DEFAULT_MERGE_POLICY_INPUT, MAX_MERGE_POLICIES, type MergePolicy, type MergePolicyInput } from './merge-policy.ts';
import type { ProfileStore, TimelineQuery } from './store.ts';

export interface ProfileIdentity {
  namespace: string;
  id: string;
}

export interface MergedProfile {
  /** The person's graph id (stable while the graph holds together). */
  profileId: string;
  mergePolicyId: string;
  identities: ProfileIdentity[];
  attributes: JsonObject;
  segmentMembership: { ups: Record<string, JsonObject> };
  computedAttributes: JsonObject;
  /** When the newest fragment changed, epoch ms; 0 when the person has no attributes yet. */
  lastUpdated: number;
}

/** Parts of a merged profile that other domains fill in. */
export type ProfilePart = 'segmentMembership' | 'computedAttributes';

/** Which parts an assembly fills: all of them unless a caller names fewer (e.g. `[]` for attributes alone). */
export interface AssembleOptions {
  parts?: readonly ProfilePart[];
}

/** Fills one part of profiles from its owning domain, for many profiles at once. */
export interface ProfileEnricher {
  (sandboxId: string, profiles: readonly MergedProfile[]): Promise<void> | void;
}

/** A person to assemble: the profile id and the identity keys whose data makes it up. */
export interface ProfileMembers {
  profileId: string;
  keys: IdentityKey[];
}

export class ProfileService {
  private readonly enrichers: { part: ProfilePart; enrich: ProfileEnricher }[] = [];
  private readonly policyCache = new Map<string, MergePolicy[]>();
  /** Parsed bodies of events read for evaluation: re-evaluating a person reads only new events. */
  private readonly eventCache = new EventCache();

  constructor(
    private readonly store: ProfileStore,
    private readonly identity: IdentityService,
    private readonly records: RecordStore,
  ) {}

  addEnricher(part: ProfilePart, enrich: ProfileEnricher): void {
    this.enrichers.push({ part, enrich });
  }

  async policies(sandboxId: string): Promise<MergePolicy[]> {
    let list = this.policyCache.get(sandboxId);
    if (!list) {
      list = await this.store.listPolicies(sandboxId);
      this.policyCache.set(sandboxId, list);
    }
    return list;
  }

  async policy(sandboxId: string, id?: string): Promise<MergePolicy> {
    const list = await this.policies(sandboxId);
    const found = id ? list.find((p) => p.id === id) : list.find((p) => p.default);
    if (!found) throw problem('NOT_FOUND', id ? `merge policy ${id} does not exist` : 'the sandbox has no default merge policy');
    return found;
  }

  /** The policy the edge uses. */
  async edgePolicy(sandboxId: string): Promise<MergePolicy> {
    const list = await this.policies(sandboxId);
    return list.find((p) => p.isActiveOnEdge) ?? (await this.policy(sandboxId));
  }

  async seedSandbox(sandboxId: string): Promise<void> {
    if ((await this.policies(sandboxId)).length === 0) await this.createPolicy(sandboxId, DEFAULT_MERGE_POLICY_INPUT);
  }

  async createPolicy(sandboxId: string, input: MergePolicyInput): Promise<MergePolicy> {
    const list = await this.policies(sandboxId);
    if (list.length >= MAX_MERGE_POLICIES) throw problem('CONFLICT', `a sandbox holds at most ${MAX_MERGE_POLICIES} merge policies`);
    const policy = this.build(newId('mp'), input, 1);
    await this.save(sandboxId, policy, list);
    return policy;
  }

  async updatePolicy(sandboxId: string, id: string, input: MergePolicyInput): Promise<MergePolicy> {
    const current = await this.policy(sandboxId, id);
    const policy = this.build(id, input, current.version + 1);
    if (current.default && !policy.default) throw problem('CONFLICT', 'make another policy the default instead of unsetting it here');
    await this.save(sandboxId, policy, await this.policies(sandboxId));
    return policy;
  }

  async deletePolicy(sandboxId: string, id: string): Promise<void> {
    const policy = await this.policy(sandboxId, id);
    if (policy.default) throw problem('CONFLICT', 'the default merge policy cannot be deleted; make another the default first');
    await this.store.deletePolicy(sandboxId, id);
    this.policyCache.delete(sandboxId);
  }

  /** The merged profile of the person holding an identity, or undefined if nothing is known. */
  async lookup(sandboxId: string, namespace: string, value: string, policyId?: string): Promise<MergedProfile | undefined> {
    const policy = await this.policy(sandboxId, policyId);
    const key = await this.identity.keyOf(sandboxId, namespace, value);
    const members = await this.members(sandboxId, key, policy);
    if (!members) return undefined;
    return this.assemble(sandboxId, members.profileId, members.keys, policy);
  }

  /** Identity keys whose data makes up the person under a policy (the graph, or just the identity). */
  async members(sandboxId: string, key: IdentityKey, policy: Pick<MergePolicy, 'identityGraph'>): Promise<ProfileMembers | undefined> {
    const { namespace, value } = splitIdentityKey(key);
    const stored = await this.identity.keyOf(sandboxId, namespace, value);
    return (await this.membersMany(sandboxId, [stored], policy)).get(stored);
  }

  /**
   * `members` of many stored (normalized) identity keys at once: the person holding each key, read
   * with one graph lookup per key and one read of all the graphs' keys. Keys nobody holds are absent.
   */
  async membersMany(sandboxId: string, keys: readonly IdentityKey[], policy: Pick<MergePolicy, 'identityGraph'>): Promise<Map<IdentityKey, ProfileMembers>> {
    const out = new Map<IdentityKey, ProfileMembers>();
    const graphIds = await this.identity.graphIdsOf(sandboxId, keys);
    const graphKeys = policy.identityGraph.type === 'pdg' ? await this.identity.graphKeys(sandboxId, [...new Set(graphIds.values())]) : undefined;
    for (const key of keys) {
      const graphId = graphIds.get(key);
      const held = graphId === undefined ? undefined : graphKeys?.get(graphId);
      if (graphId !== undefined && held) {
        out.set(key, { profileId: graphId, keys: held });
        continue;
      }
      const known = graphId !== undefined || (await this.store.fragments(sandboxId, [key])).length > 0 || (await this.store.recordSeqs(sandboxId, [key])).length > 0;
      if (known) out.set(key, { profileId: graphId ?? soloProfileId(key), keys: [key] });
    }
    return out;
  }

  /**
   * The merged profile of a person. `parts` limits what other domains add (memberships, computed
   * attributes) to what the caller reads.
   */
  async assemble(sandboxId: string, profileId: string, keys: IdentityKey[], policy: MergePolicy, options: AssembleOptions = {}): Promise<MergedProfile> {
    const [profile] = await this.assembleMany(sandboxId, [{ profileId, keys }], policy, options);
    return profile;
  }

  /** The merged profiles of many people, in their order, with one read of each kind for all of them (bulk exports). */
  async assembleMany(sandboxId: string, people: readonly ProfileMembers[], policy: MergePolicy, options: AssembleOptions = {}): Promise<MergedProfile[]> {
    const fragments = await this.store.fragments(sandboxId, people.length === 1 ? people[0].keys : people.flatMap((p) => p.keys));
    const byKey = people.length === 1 ? undefined : byIdentity(fragments);
    const profiles = people.map(({ profileId, keys }): MergedProfile => {
      const own = byKey ? keys.flatMap((k) => byKey.get(k) ?? []) : fragments;
      return {
        profileId,
        mergePolicyId: policy.id,
        identities: keys.map((k) => {
          const { namespace, value } = splitIdentityKey(k);
          return { namespace, id: value };
        }),
        attributes: mergeFragments(own, policy, { owned: true }), // the store parsed them for this call
        segmentMembership: { ups: {} },
        computedAttributes: {},
        lastUpdated: own.reduce((max, f) => Math.max(max, f.updatedAt), 0),
      };
    });
    if (profiles.length === 0) return profiles;
    for (const { part, enrich } of this.enrichers) if (!options.parts || options.parts.includes(part)) await enrich(sandboxId, profiles);
    return profiles;
  }

  /** Identities holding profile data, in key order after `after` (or a random sample): how batch jobs and estimates find every person. */
  profileIdentities(sandboxId: string, options: { after?: IdentityKey; limit: number; sample?: boolean }): Promise<IdentityKey[]> {
    return this.store.profileIdentities(sandboxId, options);
  }

  /** The person's events, newest first, with their bodies. */
  async events(sandboxId: string, namespace: string, value: string, query: TimelineQuery & { policyId?: string }) {
    const policy = await this.policy(sandboxId, query.policyId);
    const key = await this.identity.keyOf(sandboxId, namespace, value);
    const members = await this.members(sandboxId, key, policy);
    if (!members) return { entries: [], events: [] as JsonObject[] };
    const entries = await this.store.timeline(sandboxId, members.keys, query);
    const bodies = await this.records.readSeqs(entries.map((e) => e.seq));
    const bySeq = new Map(bodies.map((r) => [r.seq, r]));
    return {
      entries,
      events: entries.flatMap((e) => {
        const stored = bySeq.get(e.seq);
        return stored ? [JSON.parse(stored.body) as JsonObject] : [];
      }),
    };
  }

  /** The most recent events of a person's identities, newest first (for audience evaluation). */
  async eventsOf(sandboxId: string, keys: readonly IdentityKey[], limit: number, options: { from?: number } = {}): Promise<JsonObject[]> {
    return (await this.eventsOfPeople(sandboxId, [keys], limit, options))[0];
  }

  /** `eventsOf` for many people (each a list of identity keys) with one index read and one body read for all. */
  async eventsOfPeople(sandboxId: string, people: readonly (readonly IdentityKey[])[], limit: number, options: { from?: number } = {}): Promise<JsonObject[][]> {
    const seqs = await this.store.eventSeqsOfPeople(sandboxId, people, { limit, ...(options.from !== undefined ? { from: options.from } : {}) });
    const bodies = await this.eventBodies(seqs.flat());
    return seqs.map((own) => {
      const out: JsonObject[] = [];
      for (const seq of own) {
        const body = bodies.get(seq);
        if (body) out.push(body);
      }
      return out;
    });
  }

  /**
   * Event bodies just accepted, by log position: the streaming pass that follows their projection
   * then reads them from memory, not from the log. `bodies[i]` must equal the parse of `texts[i]`
   * and is not modified afterwards.
   */
  rememberEvents(seqs: readonly number[], texts: readonly string[], bodies: readonly JsonObject[]): void {
    for (let i = 0; i < seqs.length; i++) this.eventCache.put(seqs[i], texts[i], bodies[i]);
  }

  /**
   * Parsed bodies of log records by position (records gone from the log are absent). Bodies are
   * cached, so only positions not read before touch SQLite; callers must not modify them.
   */
  async eventBodies(seqs: readonly number[]): Promise<Map<number, JsonObject>> {
    const found = new Map<number, JsonObject>();
    const missing: number[] = [];
    for (const seq of seqs) {
      const cached = this.eventCache.get(seq);
      if (cached) found.set(seq, cached);
      else missing.push(seq);
    }
    if (missing.length === 0) return found;
    for (const r of await this.records.readSeqs(missing)) {
      const body = JSON.parse(r.body) as JsonValue;
      if (!isJsonObject(body)) continue;
      found.set(r.seq, body);
      this.eventCache.put(r.seq, r.body, body);
    }
    return found;
  }

  async deleteSandbox(sandboxId: string) {
    this.policyCache.delete(sandboxId);
    await this.store.deleteSandbox(sandboxId);
  }

  private build(id: string, input: MergePolicyInput, version: number): MergePolicy {
    if (input.attributeMerge.type === 'dataSetPrecedence' && !(input.attributeMerge.order && input.attributeMerge.order.length > 0)) {
      throw problem('BAD_REQUEST', 'dataSetPrecedence needs attributeMerge.order: dataset ids, highest precedence first', {
        errors: [{ path: 'attributeMerge.order', message: 'is required for dataSetPrecedence' }],
      });
    }
    return {
      id,
      name: input.name,
      schema: { name: '_xdm.context.profile' },
      identityGraph: input.identityGraph,
      attributeMerge: input.attributeMerge,
      default: input.default ?? false,
      isActiveOnEdge: input.isActiveOnEdge ?? false,
      version,
      updateEpoch: Math.floor(Date.now() / 1000),
    };
  }

  /** Saves a policy; at most one default and one active on the edge, so setting either clears it elsewhere. */
  private async save(sandboxId: string, policy: MergePolicy, existing: MergePolicy[]) {
    for (const other of existing) {
      if (other.id === policy.id) continue;
      const clearDefault = policy.default && other.default;
      const clearEdge = policy.isActiveOnEdge && other.isActiveOnEdge;
      if (clearDefault || clearEdge) {
        await this.store.putPolicy(sandboxId, { ...other, default: clearDefault ? false : other.default, isActiveOnEdge: clearEdge ? false : other.isActiveOnEdge });
      }
    }
    if (existing.length === 0) policy = { ...policy, default: true, isActiveOnEdge: true };
    await this.store.putPolicy(sandboxId, policy);
    this.policyCache.delete(sandboxId);
  }
}

function byIdentity(fragments: readonly ProfileFragment[]): Map<string, ProfileFragment[]> {
  const out = new Map<string, ProfileFragment[]>();
  for (const f of fragments) {
    const list = out.get(f.identity);
    if (list) list.push(f);
    else out.set(f.identity, [f]);
  }
  return out;
}
