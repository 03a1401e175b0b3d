/**
 * The auto-allocate bandit: Thompson sampling with a guaranteed exploration floor.
 *
 * Each epoch (not per request) the service recomputes every auto-allocate activity's traffic from
 * its recorded visitors and conversions: the posterior of each experience's conversion rate is
 * Beta(1 + conversions, 1 + visitors − conversions); the share of experience i is
 *   explorationShare / k + (1 − explorationShare) · P(i is the best),
 * with P(best) estimated from 10,000 joint posterior draws of a PRNG seeded by the activity id and
 * the epoch (so every node computes the same shares). Until every experience has
 * `warmupVisitors` visitors the split stays even.
 *
 * Why Thompson sampling rather than Target's 80/20 "top two by Bernstein bound" rounds: it moves
 * traffic smoothly in proportion to the evidence (no hard switch at 1,000 visitors / 50
 * conversions), treats any number of experiences alike, and needs no repeated-looks correction
 * for allocating (reports still use the fixed-horizon tests). The exploration floor (default 20%,
 * minimum 10%) keeps every experience measured, as Target's 20% random share does.
 *
 * @example
 *   computeAllocation(activity, new Map([['A', { visitors: 500, conversions: 20 }], ['B', { visitors: 500, conversions: 45 }]]), 3, Date.now());
 */
import { murmurHash3Chars } from './hash.ts';
import type { Activity, Allocation } from './model.ts';
import { probabilityBest } from './stats/index.ts';
import type { Proportion } from './stats/index.ts';

export const DEFAULT_EXPLORATION_SHARE = 0.2;
export const DEFAULT_WARMUP_VISITORS = 100;
const DRAWS = 10_000;

export function computeAllocation(activity: Activity, totals: ReadonlyMap<string, Proportion>, epoch: number, now: number): Allocation {
  const ids = activity.experiences.map((e) => e.id);
  const arms = ids.map((id) => totals.get(id) ?? { visitors: 0, conversions: 0 });
  const exploration = activity.autoAllocate?.explorationShare ?? DEFAULT_EXPLORATION_SHARE;
  const warmupVisitors = activity.autoAllocate?.warmupVisitors ?? DEFAULT_WARMUP_VISITORS;
  const warmup = arms.some((a) => a.visitors < warmupVisitors);
  const even = 1 / ids.length;
  const best = warmup ? ids.map(() => even) : probabilityBest(arms, { draws: DRAWS, seed: murmurHash3Chars(`${activity.id}.${epoch}`) });
  const shares: Record<string, number> = {};
  const probabilityBestById: Record<string, number> = {};
  ids.forEach((id, i) => {
    shares[id] = warmup ? even : exploration * even + (1 - exploration) * best[i];
    probabilityBestById[id] = best[i];
  });
  return { epoch, computedAt: new Date(now).toISOString(), shares, probabilityBest: probabilityBestById, warmup };
}
