/**
 * The edge hot path, shared by the Edge Network endpoints (`/ee/.../interact`) and the Target
 * delivery API: identities → the person's edge projection → this request's events → the
 * sandbox's edge audiences (profile + recent events + these events) → `decide()` → the answer,
 * and the events written durably to the datastream's event dataset before the caller answers
 * (acknowledged = durable; the profile projector follows the log and is never awaited).
 * Consent: a request or a profile that says no to personalization gets no decisions and no edge
 * audience evaluation; one that says no to collection gets nothing written.
 *
 * @example
 *   const pipeline = new EdgePipeline({ ... });
 *   const result = await pipeline.run({ sandboxId, datastream, deviceId: ecid, identities: [{ namespace: 'ECID', id: ecid }],
 *     events: [{ xdm: { eventType: 'web.webpagedetails.pageViews' }, scopes: ['__view__'], context: { url } }],
 *     consent: { collect: true, personalize: true }, now: Date.now(), write: true });
 *   result.events[0].propositions; // Meridian's neutral propositions for the caller to map
 */
import type { Dataset } from '../catalog/model.ts';
import type { FieldError } from '../errors.ts';
import type { DecisioningService } from '../decisioning/service.ts';
import type { DecisionContext, Proposition } from '../decisioning/request.ts';
import { decodeEventToken } from '../decisioning/request.ts';
import { decide } from '../decisioning/decide.ts';
import { allows } from '../governance/consent.ts';
import { identityKey, splitIdentityKey } from '../identity/graph.ts';
import type { IngestService } from '../ingest/service.ts';
import type { EdgeProfile, EdgeProjection } from '../profile/edge-projection.ts';
import type { FieldDefinition } from '../schema/model.ts';
import type { Datastream } from './datastreams/model.ts';
import { evaluateEdgeAudiences, type EdgeAudiences } from './edge-audiences.ts';
import type { RecentEvents } from './recent-events.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import { timeOrderedUuid } from '../storage/ids.ts';

export const DISPLAY_EVENT = 'decisioning.propositionDisplay';
export const INTERACT_EVENT = 'decisioning.propositionInteract';

export interface EdgeIdentity {
  namespace: string;
  id: string;
  primary?: boolean;
  authenticatedState?: string;
  /** Minted by this request (a new ECID or tntId): no profile can know it yet, so it is not looked up. */
  fresh?: boolean;
}

export interface EdgeEventInput {
  xdm: JsonObject;
  /** Decision scopes this event asks for (`__view__`, mbox names); empty: no decision. */
  scopes: readonly string[];
  context: DecisionContext;
  /** Record an impression for every proposition returned (Target `execute`: seen now). */
  countImpressions?: boolean;
}

/** Display and click notifications by eventToken (Target delivery `notifications[]`). */
export interface TokenNotification {
  type: 'display' | 'click';
  tokens: readonly string[];
}

export interface ConsentVerdict {
  collect: boolean;
  personalize: boolean;
}

export interface PipelineRequest {
  sandboxId: string;
  datastream: Datastream;
  /** The device id assignment hashes when no person is known (ECID, tntId). */
  deviceId: string;
  /** Every identity the request carries; the profile is found by the first one known, primary first. */
  identities: readonly EdgeIdentity[];
  events: readonly EdgeEventInput[];
  /** What the request itself says (meta.consent, consent cookie); the profile's consents are read too. */
  consent: ConsentVerdict;
  now: number;
  /** Write the events to the datastream's event dataset (interact, collect) before answering. */
  write: boolean;
  notifications?: readonly TokenNotification[];
}

export interface EventOutcome {
  propositions: Proposition[];
  /** Fields dropped (not in the dataset's schema) or the record refused by validation. */
  warnings: FieldError[];
  rejected: boolean;
}

export interface PipelineResult {
  profileId?: string;
  /** Audience id → status after this request (edge audiences re-decided, the rest as projected). */
  memberships: Record<string, string>;
  /** Edge audiences qualified in this request. */
  qualified: string[];
  events: EventOutcome[];
  consent: ConsentVerdict;
  /** Records written durably. */
  written: number;
}

export interface PipelineDeps {
  datasets: { get(sandboxId: string, id: string): Promise<Dataset> };
  schemas: { compile(sandboxId: string, schemaId: string): Promise<{ tree: Record<string, FieldDefinition> }> };
  ingest: Pick<IngestService, 'accept'>;
  projection: Pick<EdgeProjection, 'get'>;
  audiences: EdgeAudiences;
  recent: RecentEvents;
  decisioning: Pick<DecisioningService, 'snapshot' | 'recordImpression' | 'recordConversion'>;
  onError(error: Error): void;
}

/** Keeps only what the schema defines (open maps and arrays followed), listing what it dropped. */
export function pruneToSchema(value: JsonObject, tree: Record<string, FieldDefinition>, prefix = '', dropped: string[] = []): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const def = tree[key];
    if (!def) {
      dropped.push(path);
      continue;
    }
    out[key] = pruneValue(v, def, path, dropped);
  }
  return out;
}

function pruneValue(value: JsonValue, def: FieldDefinition, path: string, dropped: string[]): JsonValue {
  if (def.type === 'object' && isJsonObject(value)) {
    if (def.properties) return pruneToSchema(value, def.properties, path, dropped);
    const inner = def.additionalProperties;
    if (inner) {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) out[k] = pruneValue(v, inner, `${path}.${k}`, dropped);
      return out;
    }
    return value;
  }
  if (def.type === 'array' && Array.isArray(value) && def.items) {
    const items = def.items;
    return value.map((v, i) => pruneValue(v, items, `${path}[${i}]`, dropped));
  }
  return value;
}

/** The eventTokens of the propositions a display/interact notification carries. */
export function notificationTokens(xdm: JsonObject): string[] {
  const experience = xdm._experience;
  const decisioning = isJsonObject(experience) ? experience.decisioning : undefined;
  const propositions = isJsonObject(decisioning) ? decisioning.propositions : undefined;
  if (!Array.isArray(propositions)) return [];
  const tokens: string[] = [];
  for (const p of propositions) {
    const details = isJsonObject(p) ? p.scopeDetails : undefined;
    const characteristics = isJsonObject(details) ? details.characteristics : undefined;
    const token = isJsonObject(characteristics) ? characteristics.eventToken : undefined;
    if (typeof token === 'string') tokens.push(token);
  }
  return tokens;
}

export class EdgePipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** Finds the person by the first identity the projection knows, authenticated/primary first. */
  async profileOf(sandboxId: string, identities: readonly EdgeIdentity[]): Promise<EdgeProfile | undefined> {
    const ordered = [...identities].sort((a, b) => rank(b) - rank(a));
    for (const identity of ordered) {
      if (identity.fresh) continue;
      const profile = await this.deps.projection.get(sandboxId, identityKey(identity.namespace, identity.id));
      if (profile) return profile;
    }
    return undefined;
  }

  async run(request: PipelineRequest): Promise<PipelineResult> {
    const { sandboxId, datastream, now } = request;
    const profile = await this.profileOf(sandboxId, request.identities);
    const consent: ConsentVerdict = {
      collect: request.consent.collect && (!profile || allows(profile, 'collect')),
      personalize: request.consent.personalize && (!profile || allows(profile, 'personalize')) && datastream.services.personalization,
    };
    const outcomes: EventOutcome[] = request.events.map(() => ({ propositions: [], warnings: [], rejected: false }));
    let memberships: Record<string, string> = { ...(profile?.memberships ?? {}) };
    const qualified = new Set<string>();
    const events: JsonObject[] = this.deps.recent.get(sandboxId, request.deviceId, now);
    const evaluate = consent.personalize && datastream.services.audiences;
    const audiences = evaluate ? await this.deps.audiences.forSandbox(sandboxId) : [];
    const snapshot = this.deps.decisioning.snapshot(sandboxId);
    const personKey = profile && knowsPerson(profile) ? profile.profileId : undefined;
    const fresh: JsonObject[] = [];
    for (let i = 0; i < request.events.length; i++) {
      const input = request.events[i];
      const eventType = input.xdm.eventType;
      const isNotification = eventType === DISPLAY_EVENT || eventType === INTERACT_EVENT;
      let added = false;
      if (!isNotification && Object.keys(input.xdm).length > 0) {
        const event = { ...input.xdm, timestamp: typeof input.xdm.timestamp === 'string' ? input.xdm.timestamp : new Date(now).toISOString() };
        events.push(event);
        fresh.push(event);
        added = true;
      }
      // Once per request, and again only when an event of the request changed what audiences see.
      if (evaluate && audiences.length > 0 && (i === 0 || added)) {
        const result = evaluateEdgeAudiences(audiences, { profile: profile?.attributes ?? {}, events, now }, memberships);
        memberships = result.memberships;
        for (const id of result.qualified) qualified.add(id);
      }
      if (consent.personalize && input.scopes.length > 0 && snapshot.activities.length > 0) {
        outcomes[i].propositions = decide(
          {
            visitorId: request.deviceId,
            ...(profile ? { attributes: profile.attributes } : {}),
            ...(personKey ? { profileId: personKey } : {}),
            memberships,
            context: input.context,
            scopes: input.scopes,
            now,
          },
          snapshot,
        ).propositions;
      }
    }
    if (consent.collect) this.deps.recent.add(sandboxId, request.deviceId, fresh, now);
    const written = request.write && consent.collect ? await this.write(request, outcomes) : 0;
    this.recordOutcomes(request, outcomes, personKey);
    return {
      ...(profile ? { profileId: profile.profileId } : {}),
      memberships: consent.personalize ? memberships : {},
      qualified: [...qualified],
      events: outcomes,
      consent,
      written,
    };
  }

  /** Writes the request's events (notifications included) to the event dataset; waits for the commit. */
  private async write(request: PipelineRequest, outcomes: EventOutcome[]): Promise<number> {
    const { sandboxId, datastream, now } = request;
    const dataset = await this.deps.datasets.get(sandboxId, datastream.eventDatasetId);
    const { tree } = await this.deps.schemas.compile(sandboxId, dataset.schemaId);
    const records: JsonObject[] = [];
    const indexes: number[] = [];
    /** Events given the server's time here: a retry gets another, so they are the same record by `_id` alone. */
    const serverTimed: boolean[] = [];
    request.events.forEach((input, i) => {
      if (Object.keys(input.xdm).length === 0) return;
      const dropped: string[] = [];
      const record = pruneToSchema(withIdentities(input.xdm, request.identities), tree, '', dropped);
      if (typeof record._id !== 'string') record._id = timeOrderedUuid(now);
      const untimed = typeof record.timestamp !== 'string';
      if (untimed) record.timestamp = new Date(now).toISOString();
      for (const path of dropped) {
        // The SDKs' own bookkeeping (alloy's implementationDetails, notification details) is dropped without a word.
        if (path.startsWith('implementationDetails') || path.startsWith('_experience')) continue;
        outcomes[i].warnings.push({ path: `xdm.${path}`, message: `is not in the schema of dataset "${dataset.name}"; not stored` });
      }
      records.push(record);
      indexes.push(i);
      serverTimed.push(untimed);
    });
    if (records.length === 0) return 0;
    const outcome = await this.deps.ingest.accept(sandboxId, dataset, records, { source: 'edge', sameById: serverTimed });
    for (const rejected of outcome.rejected) {
      const i = indexes[rejected.index];
      outcomes[i].rejected = true;
      for (const e of rejected.errors) outcomes[i].warnings.push({ path: `xdm.${e.path}`, message: e.message });
    }
    return outcome.accepted;
  }

  /** Impressions and clicks from notifications (and `execute`), conversions for activity metrics; never awaited. */
  private recordOutcomes(request: PipelineRequest, outcomes: EventOutcome[], personKey: string | undefined): void {
    const { sandboxId, deviceId } = request;
    // The visitor's ids go last: on Node 20 `{ ...who, eventToken }` (a spread, then a property
    // the spread object lacks) takes V8's slow path, ~1-2 µs per object; spreading last does not.
    const who = personKey ? { visitorId: deviceId, profileId: personKey } : { visitorId: deviceId };
    const decisioning = this.deps.decisioning;
    outcomes.forEach((outcome, i) => {
      if (!request.events[i].countImpressions) return;
      for (const p of outcome.propositions) decisioning.recordImpression(sandboxId, { eventToken: p.scopeDetails.characteristics.eventToken, ...who });
    });
    const notify = (type: 'display' | 'click', token: string) => {
      if (!decodeEventToken(token)) return;
      if (type === 'display') decisioning.recordImpression(sandboxId, { eventToken: token, ...who });
      else decisioning.recordConversion(sandboxId, { kind: 'click', eventToken: token, ...who }).catch((err: Error) => this.deps.onError(err));
    };
    for (const n of request.notifications ?? []) for (const token of n.tokens) notify(n.type, token);
    const metricTypes = new Set<string>();
    for (const a of decisioning.snapshot(sandboxId).activities) if (a.activity.metric.type === 'event') metricTypes.add(a.activity.metric.eventType);
    for (const input of request.events) {
      const eventType = input.xdm.eventType;
      if (eventType === DISPLAY_EVENT || eventType === INTERACT_EVENT) {
        for (const token of notificationTokens(input.xdm)) notify(eventType === DISPLAY_EVENT ? 'display' : 'click', token);
      } else if (typeof eventType === 'string' && metricTypes.has(eventType)) {
        decisioning.recordConversion(sandboxId, { kind: 'event', eventType, event: input.xdm, ...who }).catch((err: Error) => this.deps.onError(err));
      }
    }
  }
}

/** Device ids: a profile known only by these is a device, and assignment keeps hashing the device id. */
const DEVICE_NAMESPACES: ReadonlySet<string> = new Set(['ECID', 'TNTID', 'tntId']);

/**
 * Whether the profile names a person (an identity beyond device cookies): only then does
 * assignment follow the profile id across devices. A device-only profile appears once the first
 * event is projected, and switching keys then would change the visitor's experience mid-visit.
 */
function knowsPerson(profile: EdgeProfile): boolean {
  return profile.identities.some((key) => !DEVICE_NAMESPACES.has(splitIdentityKey(key).namespace));
}

function rank(identity: EdgeIdentity): number {
  return (identity.authenticatedState === 'authenticated' ? 2 : 0) + (identity.primary ? 1 : 0);
}

/** The event's identityMap with the request's identities added (ECID primary unless another is). */
function withIdentities(xdm: JsonObject, identities: readonly EdgeIdentity[]): JsonObject {
  const map: JsonObject = isJsonObject(xdm.identityMap) ? { ...xdm.identityMap } : {};
  const hasPrimary = Object.values(map).some((list) => Array.isArray(list) && list.some((e) => isJsonObject(e) && e.primary === true));
  for (const identity of identities) {
    const list = Array.isArray(map[identity.namespace]) ? [...(map[identity.namespace] as JsonValue[])] : [];
    if (list.some((e) => isJsonObject(e) && e.id === identity.id)) continue;
    list.push({ id: identity.id, authenticatedState: identity.authenticatedState ?? 'ambiguous', primary: !hasPrimary && identity.namespace === 'ECID' });
    map[identity.namespace] = list;
  }
  return Object.keys(map).length > 0 ? { ...xdm, identityMap: map } : xdm;
}
