/**
 * `decide()`: the hot-path decision, pure and synchronous over a loaded snapshot. For each scope
 * asked, the live activities answering it are tried in priority order: dates, URL rules, audience
 * and context conditions, the holdout, then the experience (traffic bucket for A/B and
 * auto-allocate, first matching rule for experience targeting). The first activity that yields an
 * experience takes the scope. Assignment hashes the profile id when known (so it follows the person
 * across devices), else the visitor id, with the activity id: the same answer on every node.
 *
 * @example
 *   const { propositions } = decide({ visitorId: 'ecid-1', scopes: ['__view__'], context: { url } }, snapshot);
 */
import { ConditionInput } from './conditions.ts';
import { allocationBucket, HOLDOUT_SALT } from './hash.ts';
import type { CompiledActivity, DecisionSnapshot } from './snapshot.ts';
import { encodeEventToken, type DecisionRequest, type DecisionResult, type Proposition } from './request.ts';

type Outcome = { experience: number } | { heldOut: true } | { skip: true };

function chooseExperience(activity: CompiledActivity, input: ConditionInput, client: string, key: string): Outcome {
  if (input.now < activity.startsAt || input.now >= activity.endsAt) return { skip: true };
  if (activity.urlRules.length > 0) {
    const url = input.request.context?.url;
    if (!activity.urlRules.some((rule) => rule(url))) return { skip: true };
  }
  if (activity.audience && !activity.audience(input)) return { skip: true };
  if (activity.activity.type === 'xt') {
    // Rules first, so a visitor no rule and no fallback covers leaves the scope to others.
    let chosen = activity.experiences.findIndex((e, i) => i !== activity.fallback && e.audience !== undefined && e.audience(input));
    if (chosen < 0) chosen = activity.fallback ?? -1;
    if (chosen < 0) return { skip: true };
    if (activity.holdoutBuckets > 0 && allocationBucket(client, activity.id, key, HOLDOUT_SALT) < activity.holdoutBuckets) return { heldOut: true };
    return { experience: chosen };
  }
  if (activity.holdoutBuckets > 0 && allocationBucket(client, activity.id, key, HOLDOUT_SALT) < activity.holdoutBuckets) return { heldOut: true };
  const bucket = allocationBucket(client, activity.id, key);
  const bounds = activity.bounds;
  for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]) return { experience: i };
  return { experience: bounds.length - 1 };
}

/**
 * The proposition of one experience of an activity on a scope; `audiences` are the activity's
 * audiences the visitor is in (carried in the event token for the report's breakdown).
 */
export function proposition(activity: CompiledActivity, index: number, scope: string, audiences: readonly string[]): Proposition {
  const experience = activity.experiences[index];
  const eventToken = encodeEventToken({ activityId: activity.id, experienceId: experience.id, audiences: [...audiences] });
  return {
    id: experience.propositionId,
    scope,
    activity: { id: activity.id, name: activity.activity.name, type: activity.activity.type, priority: activity.priority },
    experience: { id: experience.id, name: experience.name, control: experience.control },
    items: experience.items,
    scopeDetails: {
      decisionProvider: 'MERIDIAN',
      activity: { id: activity.id },
      experience: { id: experience.id },
      strategies: [{ algorithmID: activity.algorithmId, trafficType: '0' }],
      characteristics: { eventToken },
      correlationID: `${activity.id}:${experience.id}:0`,
    },
  };
}

export function decide(request: DecisionRequest, snapshot: DecisionSnapshot): DecisionResult {
  const key = request.profileId || request.visitorId;
  const input = new ConditionInput(request, request.now ?? Date.now());
  const outcomes = new Map<string, Outcome>();
  const propositions: Proposition[] = [];
  const heldOut: string[] = [];
  const answered = new Set<string>();
  for (const scope of request.scopes) {
    if (answered.has(scope)) continue;
    answered.add(scope);
    for (const activity of snapshot.byScope.get(scope) ?? []) {
      // An activity answering several scopes of one request decides once.
      let outcome = outcomes.get(activity.id);
      if (!outcome) {
        outcome = chooseExperience(activity, input, snapshot.client, key);
        outcomes.set(activity.id, outcome);
        if ('heldOut' in outcome) heldOut.push(activity.id);
      }
      if ('skip' in outcome) continue;
      // A held-out visitor sees the default content in this scope: the holdout stays clean.
      if ('experience' in outcome) propositions.push(proposition(activity, outcome.experience, scope, activity.audienceIds.filter((id) => input.inAudience(id))));
      break;
    }
  }
  return { assignmentKey: key, propositions, heldOut };
}
