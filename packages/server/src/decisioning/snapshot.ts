/**
 * A sandbox's live activities compiled for the hot path: conditions as closures, offers turned into
 * proposition items once, traffic splits as bucket boundaries, activities indexed by scope in
 * priority order. Immutable; the service swaps in a new one when anything changes.
 *
 * @example
 *   const snapshot = compileSnapshot({ sandboxId, client: 'prod', activities, offers, allocations, version: 1 });
 *   decide(request, snapshot);
 */
import type { JsonValue } from '../storage/json.ts';
import { audiencesOf, compileCondition, compileStringMatch, type Predicate } from './conditions.ts';
import { BUCKETS } from './hash.ts';
import { PAGE_SCOPE, type Activity, type Allocation, type Offer } from './model.ts';
import { ITEM_SCHEMAS, type PropositionItem } from './request.ts';
import { selectorKey } from './selector-key.ts';

export interface CompiledExperience {
  id: string;
  name: string;
  control: boolean;
  /** `MD:` + base64 of `{"activityId","experienceId"}`, made once. */
  propositionId: string;
  items: readonly PropositionItem[];
  /** Per item, the element a DOM action changes (`selector-key.ts`); undefined for items that target none (html, json, …). */
  elements: readonly (string | undefined)[];
  /** xt: who gets this experience. */
  audience?: Predicate;
}

export interface CompiledActivity {
  activity: Activity;
  id: string;
  priority: number;
  startsAt: number;
  endsAt: number;
  urlRules: ((url: string | undefined) => boolean)[];
  audience?: Predicate;
  experiences: CompiledExperience[];
  /** ab / auto-allocate: experience i takes buckets [bounds[i-1], bounds[i]). */
  bounds: number[];
  fallback?: number;
  holdoutBuckets: number;
  /** Audiences any of the activity's conditions read. */
  audienceIds: string[];
  algorithmId: string;
}

export interface DecisionSnapshot {
  sandboxId: string;
  /** The client code in the allocation hash (the sandbox name). */
  client: string;
  version: number;
  activities: readonly CompiledActivity[];
  /** scope → activities answering it, best priority first. */
  byScope: ReadonlyMap<string, readonly CompiledActivity[]>;
  /** Live activities left out because they failed to compile. */
  skipped: readonly string[];
}

function offerItems(activity: Activity, experienceId: string, experienceName: string, offer: Offer): PropositionItem[] {
  const meta = {
    'activity.id': activity.id,
    'activity.name': activity.name,
    'activity.type': activity.type,
    'experience.id': experienceId,
    'experience.name': experienceName,
    'offer.id': offer.id,
    'offer.name': offer.name,
  };
  const content = offer.content;
  switch (content.type) {
    case 'html':
      return [{ id: offer.id, schema: ITEM_SCHEMAS.html, meta, data: { id: offer.id, format: 'text/html', content: content.html } }];
    case 'json':
      return [{ id: offer.id, schema: ITEM_SCHEMAS.json, meta, data: { id: offer.id, format: 'application/json', content: content.json as JsonValue } }];
    case 'redirect':
      return [{ id: offer.id, schema: ITEM_SCHEMAS.redirect, meta, data: { id: offer.id, format: 'text/uri-list', content: content.url } }];
    case 'default':
      return [{ id: offer.id, schema: ITEM_SCHEMAS.default, meta, data: { id: offer.id } }];
    case 'dom-actions':
      return content.actions.map((action, i) => {
        const data: Record<string, JsonValue> = {
          id: `${offer.id}#${i}`,
          type: action.type,
          format: 'application/vnd.adobe.target.dom-action',
          selector: action.selector,
          prehidingSelector: action.selector,
        };
        if (action.content !== undefined) data.content = action.content;
        if (action.name !== undefined) data.name = action.name;
        return { id: `${offer.id}#${i}`, schema: ITEM_SCHEMAS.domAction, meta, data };
      });
  }
}

/** Bucket boundaries for shares (any positive scale), the last one exactly BUCKETS. */
export function bucketBounds(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  const bounds: number[] = [];
  let cumulative = 0;
  for (const share of shares) {
    cumulative += total > 0 ? share / total : 1 / shares.length;
    bounds.push(Math.round(cumulative * BUCKETS));
  }
  if (bounds.length > 0) bounds[bounds.length - 1] = BUCKETS;
  return bounds;
}

/** The element a DOM-action item changes, as its selector's key; undefined for items that target none. */
function elementOf(item: PropositionItem): string | undefined {
  if (item.schema !== ITEM_SCHEMAS.domAction) return undefined;
  const selector = item.data.selector;
  return typeof selector === 'string' ? selectorKey(selector) : undefined;
}

function trafficShares(activity: Activity, allocation: Allocation | undefined): number[] {
  if (activity.type === 'ab') return activity.experiences.map((e) => e.traffic ?? 0);
  if (activity.type === 'auto-allocate' && allocation) return activity.experiences.map((e) => allocation.shares[e.id] ?? 0);
  return activity.experiences.map(() => 1);
}

export function compileActivity(activity: Activity, offers: ReadonlyMap<string, Offer>, allocation: Allocation | undefined): CompiledActivity {
  const experiences = activity.experiences.map<CompiledExperience>((e) => {
    const items = e.offerIds.flatMap((id) => {
      const offer = offers.get(id);
      return offer ? offerItems(activity, e.id, e.name, offer) : [];
    });
    return {
      id: e.id,
      name: e.name,
      control: e.control === true,
      propositionId: `MD:${Buffer.from(JSON.stringify({ activityId: activity.id, experienceId: e.id })).toString('base64')}`,
      items: Object.freeze(items),
      elements: Object.freeze(items.map(elementOf)),
      ...(e.audience ? { audience: compileCondition(e.audience) } : {}),
    };
  });
  const audienceIds = audiencesOf(activity.audience);
  for (const e of activity.experiences) audiencesOf(e.audience, audienceIds);
  const fallback = activity.fallbackExperienceId ? activity.experiences.findIndex((e) => e.id === activity.fallbackExperienceId) : -1;
  return {
    activity,
    id: activity.id,
    priority: activity.priority,
    startsAt: activity.startsAt ? Date.parse(activity.startsAt) : Number.NEGATIVE_INFINITY,
    endsAt: activity.endsAt ? Date.parse(activity.endsAt) : Number.POSITIVE_INFINITY,
    urlRules: (activity.location.urls ?? []).map((rule) => compileStringMatch(rule.operator, rule.value, rule.caseSensitive)),
    ...(activity.audience ? { audience: compileCondition(activity.audience) } : {}),
    experiences,
    bounds: bucketBounds(trafficShares(activity, allocation)),
    ...(fallback >= 0 ? { fallback } : {}),
    holdoutBuckets: Math.round((activity.holdoutPercent / 100) * BUCKETS),
    audienceIds: [...audienceIds],
    algorithmId: activity.type === 'auto-allocate' ? `thompson:${allocation?.epoch ?? 0}` : activity.type === 'xt' ? 'rules' : 'split',
  };
}

/** Scopes an activity answers: its named scopes, or the page scope when it has URL rules only. */
function scopesOf(activity: Activity): string[] {
  const scopes = activity.location.scopes ?? [];
  return scopes.length > 0 ? scopes : [PAGE_SCOPE];
}

export interface SnapshotSource {
  sandboxId: string;
  client: string;
  version: number;
  /** Only live activities are compiled; the rest are ignored. */
  activities: readonly Activity[];
  offers: ReadonlyMap<string, Offer>;
  allocations: ReadonlyMap<string, Allocation>;
}

export function compileSnapshot(source: SnapshotSource): DecisionSnapshot {
  const compiled: CompiledActivity[] = [];
  const skipped: string[] = [];
  for (const activity of source.activities) {
    if (activity.status !== 'live') continue;
    // One activity that no longer compiles (say, stored before a validation rule existed) must not
    // take the sandbox's other activities off the air.
    try {
      compiled.push(compileActivity(activity, source.offers, source.allocations.get(activity.id)));
    } catch {
      skipped.push(activity.id);
    }
  }
  compiled
    // Higher priority first; then the older activity; then the id, so every node orders alike.
    .sort((a, b) => b.priority - a.priority || a.activity.createdAt.localeCompare(b.activity.createdAt) || a.id.localeCompare(b.id));
  const byScope = new Map<string, CompiledActivity[]>();
  for (const activity of compiled) {
    for (const scope of scopesOf(activity.activity)) {
      let list = byScope.get(scope);
      if (!list) byScope.set(scope, (list = []));
      list.push(activity);
    }
  }
  return { sandboxId: source.sandboxId, client: source.client, version: source.version, activities: compiled, byScope, skipped };
}

export function emptySnapshot(sandboxId: string, client: string): DecisionSnapshot {
  return { sandboxId, client, version: 0, activities: [], byScope: new Map(), skipped: [] };
}
