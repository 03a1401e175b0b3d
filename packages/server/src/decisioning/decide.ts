/**
 * `decide()`: the hot-path decision, pure and synchronous over a loaded snapshot. For each scope
 * asked, the live activities answering it are tried in priority order: dates, URL rules, audience
 * and context conditions, the holdout, then the experience (traffic bucket for A/B and
 * auto-allocate, first matching rule for experience targeting). On a named scope (mbox) the first
 * activity that yields an experience takes the scope. On the page scope (`__view__`) every
 * qualifying activity answers, as Target's global mbox does: a DOM action on an element (its
 * selector's key) a higher-priority activity already changed is dropped, and the first redirect
 * ends the page.
 * Assignment hashes the profile id when known (so it follows the person across devices), else the
 * visitor id, with the activity id: the same answer on every node.
 *
 * @example
 *   const { propositions } = decide({ visitorId: 'ecid-1', scopes: ['__view__'], context: { url } }, snapshot);
 */
import { ConditionInput } from './conditions.ts';
import { allocationBucket, HOLDOUT_SALT } from './hash.ts';
import { PAGE_SCOPE } from './model.ts';
import type { CompiledActivity, DecisionSnapshot } from './snapshot.ts';
import { encodeEventToken, ITEM_SCHEMAS, type DecisionRequest, type DecisionResult, type Proposition, type PropositionItem } from './request.ts';

type Outcome = { experience: number } | { heldOut: true } | { notApplicable: true };

function chooseExperience(activity: CompiledActivity, input: ConditionInput, client: string, key: string): Outcome {
  if (input.now < activity.startsAt || input.now >= activity.endsAt) return { notApplicable: true };
  if (activity.urlRules.length > 0) {
    const url = input.request.context?.url;
    if (!activity.urlRules.some((rule) => rule(url))) return { notApplicable: true };
  }
  if (activity.audience && !activity.audience(input)) return { notApplicable: true };
  if (activity.activity.type === 'xt') {
    // Rules first, so a visitor no rule and no fallback covers leaves the scope to others.
    let chosen = activity.experiences.findIndex((e, i) => i !== activity.fallback && e.audience !== undefined && e.audience(input));
    if (chosen < 0) chosen = activity.fallback ?? -1;
    if (chosen < 0) return { notApplicable: true };
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
 * audiences the visitor is in (carried in the event token for the report's breakdown). `items`
 * replaces the experience's items when some were dropped (page-scope selector conflicts).
 */
export function proposition(
  activity: CompiledActivity,
  index: number,
  scope: string,
  audiences: readonly string[],
  items: readonly PropositionItem[] = activity.experiences[index].items,
): Proposition {
  const experience = activity.experiences[index];
  const eventToken = encodeEventToken({ activityId: activity.id, experienceId: experience.id, audiences: [...audiences] });
  return {
    id: experience.propositionId,
    scope,
    activity: { id: activity.id, name: activity.activity.name, type: activity.activity.type, priority: activity.priority },
    experience: { id: experience.id, name: experience.name, control: experience.control },
    items,
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

function isRedirect(item: PropositionItem): boolean {
  return item.schema === ITEM_SCHEMAS.redirect || (item.schema === ITEM_SCHEMAS.domAction && item.data.type === 'redirect');
}

/**
 * The page scope: every qualifying activity answers, best priority first. A DOM action on an element
 * a higher-priority activity of this request already changed (by its selector's key) is dropped, and an activity left with
 * nothing to show is skipped (no proposition, so no impression). Items without a selector (html,
 * json, default) are kept. The first activity delivering a redirect is the last one delivered: the
 * browser leaves the page, so nothing of lower priority would be seen. A holdout of one activity
 * leaves the page to the others.
 */
function decidePage(
  activities: readonly CompiledActivity[],
  decideOnce: (activity: CompiledActivity) => Outcome,
  deliver: (activity: CompiledActivity, experience: number, items?: readonly PropositionItem[]) => void,
): void {
  // Elements changed by the higher-priority activities delivered so far (made on first need).
  let claimed: Set<string> | undefined;
  for (const activity of activities) {
    const outcome = decideOnce(activity);
    if (!('experience' in outcome)) continue;
    const { items: all, elements } = activity.experiences[outcome.experience];
    const taken = claimed;
    const items = taken
      ? all.filter((_, i) => {
          const element = elements[i];
          return element === undefined || !taken.has(element);
        })
      : all;
    // Everything this experience would change is already changed: none of it would be seen.
    if (items.length === 0 && all.length > 0) continue;
    deliver(activity, outcome.experience, items.length === all.length ? undefined : items);
    if (items.some(isRedirect)) return;
    // The dropped items' elements are claimed already: claiming every element of the experience is the same.
    for (const element of elements) if (element !== undefined) (claimed ??= new Set()).add(element);
  }
}

export function decide(request: DecisionRequest, snapshot: DecisionSnapshot): DecisionResult {
  const key = request.profileId || request.visitorId;
  const input = new ConditionInput(request, request.now ?? Date.now());
  const outcomes = new Map<string, Outcome>();
  const propositions: Proposition[] = [];
  const heldOut: string[] = [];
  const answered = new Set<string>();
  // An activity answering several scopes of one request decides once.
  const decideOnce = (activity: CompiledActivity): Outcome => {
    let outcome = outcomes.get(activity.id);
    if (!outcome) {
      outcome = chooseExperience(activity, input, snapshot.client, key);
      outcomes.set(activity.id, outcome);
      if ('heldOut' in outcome) heldOut.push(activity.id);
    }
    return outcome;
  };
  for (const scope of request.scopes) {
    if (answered.has(scope)) continue;
    answered.add(scope);
    const activities = snapshot.byScope.get(scope);
    if (!activities) continue;
    if (scope === PAGE_SCOPE) {
      decidePage(activities, decideOnce, (activity, experience, items) =>
        propositions.push(proposition(activity, experience, scope, activity.audienceIds.filter((id) => input.inAudience(id)), items)),
      );
      continue;
    }
    for (const activity of activities) {
      const outcome = decideOnce(activity);
      if ('notApplicable' in outcome) continue;
      // A held-out visitor sees the default content in this scope: the holdout stays clean.
      if ('experience' in outcome) propositions.push(proposition(activity, outcome.experience, scope, activity.audienceIds.filter((id) => input.inAudience(id))));
      break;
    }
  }
  return { assignmentKey: key, propositions, heldOut };
}
