/**
 * The on-device decisioning artifact (`rules.json`, Target's format, artifact version 1) for the
 * activities that need no profile data: A/B tests with no audience, URL rule, date or holdout,
 * and experience-targeting activities whose only experience is the fallback. A scope goes into
 * `localMboxes` only when every activity answering it qualifies (a higher-priority activity that
 * reads the profile must be decided by the server); the others are listed in `remoteMboxes`.
 * `__view__` is the SDK's global mbox (page load). Conditions are JSON Logic over `allocation`,
 * which the SDK computes with the same MurmurHash3 device id as `decide()` (salt "0"), so a
 * visitor gets the same experience on the device and on the server when the SDK's `client` is
 * the artifact's `meta.clientCode`.
 *
 * @example
 *   const artifact = buildArtifact(platform.decisioning.snapshot(sandboxId), { organizationId, environment: 'production' });
 *   artifact.localMboxes; // ['hero', 'target-global-mbox']
 */
import { proposition } from '../../decisioning/decide.ts';
import { PAGE_SCOPE } from '../../decisioning/model.ts';
import type { CompiledActivity, DecisionSnapshot } from '../../decisioning/snapshot.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { targetOptions } from './wire.ts';

export const GLOBAL_MBOX = 'target-global-mbox';
const BUCKETS = 10_000;

const RESPONSE_TOKENS = ['activity.id', 'activity.name', 'experience.id', 'experience.name', 'offer.id', 'offer.name', 'option.id'];

/** Whether the activity can be decided on the device: nothing about the person or the page but the bucket. */
export function decidableOnDevice(activity: CompiledActivity): boolean {
  const a = activity.activity;
  if (a.audience || a.startsAt || a.endsAt || activity.holdoutBuckets > 0 || activity.urlRules.length > 0) return false;
  if (a.type === 'ab') return a.experiences.every((e) => !e.audience);
  if (a.type === 'xt') return activity.experiences.length === 1 && activity.fallback === 0;
  return false;
}

function rulesFor(activity: CompiledActivity, scope: string, mbox: string): JsonObject[] {
  const ranges: [number, number][] =
    activity.activity.type === 'xt' ? [[0, BUCKETS]] : activity.bounds.map((hi, i) => [i === 0 ? 0 : activity.bounds[i - 1], hi]);
  const rules: JsonObject[] = [];
  ranges.forEach(([lo, hi], i) => {
    if (hi <= lo) return;
    const p = proposition(activity, i, scope, []);
    const experience = activity.experiences[i];
    const firstOffer = experience.items[0]?.meta ?? {};
    rules.push({
      ruleKey: `${activity.id}-${experience.id}-${mbox}`,
      activityId: activity.id,
      propertyTokens: [],
      seed: activity.id,
      meta: {
        'activity.id': activity.id,
        'activity.name': activity.activity.name,
        'activity.type': activity.activity.type === 'ab' ? 'ab' : 'landing',
        'experience.id': experience.id,
        'experience.name': experience.name,
        'location.name': mbox,
        'location.type': 'mbox',
        'audience.ids': [],
        ...(firstOffer['offer.id'] ? { 'offer.id': firstOffer['offer.id'], 'offer.name': firstOffer['offer.name'] } : {}),
      },
      condition: { and: [{ '<=': [lo / 100, { var: 'allocation' }] }, { '>': [hi / 100, { var: 'allocation' }] }] },
      consequence: { name: mbox, options: targetOptions(p, true, undefined) as JsonValue[], metrics: [] },
    });
  });
  return rules;
}

export interface ArtifactMeta {
  organizationId: string;
  environment?: string;
  now?: number;
}

/** The rules artifact of a sandbox's current snapshot. */
export function buildArtifact(snapshot: DecisionSnapshot, meta: ArtifactMeta): JsonObject {
  const localMboxes: string[] = [];
  const remoteMboxes: string[] = [];
  const mboxes: Record<string, JsonValue> = {};
  for (const [scope, activities] of snapshot.byScope) {
    const mbox = scope === PAGE_SCOPE ? GLOBAL_MBOX : scope;
    if (!activities.every(decidableOnDevice)) {
      remoteMboxes.push(mbox);
      continue;
    }
    localMboxes.push(mbox);
    mboxes[mbox] = activities.flatMap((a) => rulesFor(a, scope, mbox));
  }
  return {
    version: '1.0.0',
    meta: {
      generatedAt: new Date(meta.now ?? Date.now()).toISOString(),
      organizationId: meta.organizationId,
      clientCode: snapshot.client,
      workspace: snapshot.sandboxId,
      environment: meta.environment ?? 'production',
      snapshotVersion: snapshot.version,
    },
    globalMbox: GLOBAL_MBOX,
    geoTargetingEnabled: false,
    responseTokens: RESPONSE_TOKENS,
    remoteMboxes: remoteMboxes.sort(),
    localMboxes: localMboxes.sort(),
    remoteViews: [],
    localViews: [],
    rules: { mboxes, views: {} },
  };
}
