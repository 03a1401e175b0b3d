import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAllocation } from './bandit.ts';
import { decide } from './decide.ts';
import type { Allocation } from './model.ts';
import { seededRandom, type Proportion } from './stats/index.ts';
import { htmlOffer, liveActivity, snapshotOf } from './test-support.ts';

const offers = [htmlOffer('o-1'), htmlOffer('o-2'), htmlOffer('o-3')];

function bandit(explorationShare = 0.2) {
  return liveActivity({
    type: 'auto-allocate',
    location: { scopes: ['hero'] },
    autoAllocate: { explorationShare, warmupVisitors: 200 },
    experiences: [
      { id: 'A', name: 'A', offerIds: ['o-1'] },
      { id: 'B', name: 'B', offerIds: ['o-2'] },
      { id: 'C', name: 'C', offerIds: ['o-3'] },
    ],
  });
}

test('in a seeded simulation the bandit moves traffic to the clearly better experience and keeps exploring', () => {
  const activity = bandit(0.2);
  const trueRate: Record<string, number> = { A: 0.03, B: 0.03, C: 0.07 };
  const totals = new Map<string, Proportion>([['A', { visitors: 0, conversions: 0 }], ['B', { visitors: 0, conversions: 0 }], ['C', { visitors: 0, conversions: 0 }]]);
  const random = seededRandom(2026);
  let allocation: Allocation | undefined;
  const served: Record<string, number>[] = [];
  for (let epoch = 0; epoch < 8; epoch++) {
    const snapshot = snapshotOf([activity], offers, allocation ? new Map([[activity.id, allocation]]) : new Map());
    const counts: Record<string, number> = { A: 0, B: 0, C: 0 };
    for (let i = 0; i < 3000; i++) {
      const visitorId = `sim-${epoch}-${i}`;
      const experience = decide({ visitorId, scopes: ['hero'] }, snapshot).propositions[0].experience.id;
      assert.equal(decide({ visitorId, scopes: ['hero'] }, snapshot).propositions[0].experience.id, experience, 'deterministic within an epoch');
      counts[experience]++;
      const arm = totals.get(experience);
      assert.ok(arm);
      arm.visitors++;
      if (random() < trueRate[experience]) arm.conversions++;
    }
    served.push(counts);
    allocation = computeAllocation(activity, totals, epoch + 1, Date.UTC(2026, 0, 1, epoch));
  }
  assert.ok(allocation);
  // The first epoch is the even warm-up split.
  for (const id of ['A', 'B', 'C']) assert.ok(Math.abs(served[0][id] - 1000) < 120, `warm-up ${id}: ${served[0][id]}`);
  const last = served[served.length - 1];
  assert.ok(last.C > 0.7 * 3000, `the best experience got ${last.C} of the last 3,000 visitors`);
  assert.ok(allocation.shares.C > 0.8, `final share of C ${allocation.shares.C}`);
  // Exploration floor: every experience keeps at least explorationShare / k of the traffic.
  for (const id of ['A', 'B']) {
    assert.ok(allocation.shares[id] >= 0.2 / 3 - 1e-12, `${id} keeps ${allocation.shares[id]}`);
    assert.ok(last[id] > 0.05 * 3000, `${id} still served ${last[id]} visitors`);
  }
  assert.ok(Math.abs(Object.values(allocation.shares).reduce((a, b) => a + b, 0) - 1) < 1e-12, 'shares sum to 1');
  assert.ok(allocation.probabilityBest.C > 0.99);
});

test('allocation is a function of the statistics and the epoch alone, so every node computes the same', () => {
  const activity = bandit(0.3);
  const totals = new Map<string, Proportion>([['A', { visitors: 900, conversions: 40 }], ['B', { visitors: 880, conversions: 44 }], ['C', { visitors: 910, conversions: 47 }]]);
  const one = computeAllocation(activity, totals, 7, 0);
  const two = computeAllocation(structuredClone(activity), new Map(totals), 7, 0);
  assert.deepEqual(one.shares, two.shares);
  assert.equal(one.warmup, false);
  // Close arms keep a spread allocation; none falls below the 30% / 3 floor.
  for (const share of Object.values(one.shares)) assert.ok(share >= 0.1 - 1e-12 && share < 0.8, JSON.stringify(one.shares));
  const warm = computeAllocation(activity, new Map([['A', { visitors: 5000, conversions: 500 }]]), 1, 0);
  assert.equal(warm.warmup, true, 'B and C have no visitors yet');
  assert.deepEqual(Object.values(warm.shares), [1 / 3, 1 / 3, 1 / 3]);
});
