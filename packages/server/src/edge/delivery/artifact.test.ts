/* eslint-disable @typescript-eslint/no-explicit-any -- artifact JSON is read field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../decisioning/decide.ts';
import { targetAllocation } from '../../decisioning/hash.ts';
import { htmlOffer, liveActivity, snapshotOf } from '../../decisioning/test-support.ts';
import { buildArtifact, GLOBAL_MBOX } from './artifact.ts';

const offers = [htmlOffer('o1'), htmlOffer('o2'), htmlOffer('o3')];
const ab = (scope: string, extra = {}) =>
  liveActivity({
    location: { scopes: [scope] },
    experiences: [
      { id: 'A', name: 'A', offerIds: ['o1'], control: true, traffic: 30 },
      { id: 'B', name: 'B', offerIds: ['o2'], traffic: 70 },
    ],
    ...extra,
  });

test('scopes whose activities need nothing but the bucket are local; one profile-reading activity makes a scope remote', () => {
  const snapshot = snapshotOf([
    ab('hero'),
    ab('__view__'),
    ab('recs', { audience: { type: 'profile', path: 'loyalty.tier', operator: 'equals', value: 'gold' }, priority: 5 }),
    ab('recs'),
    ab('dated', { startsAt: '2026-01-01T00:00:00.000Z' }),
    ab('held', { holdoutPercent: 10 }),
  ], offers);
  const artifact = buildArtifact(snapshot, { organizationId: 'Org@AdobeOrg', now: 0 }) as any;
  assert.deepEqual(artifact.localMboxes, ['hero', GLOBAL_MBOX]);
  assert.deepEqual(artifact.remoteMboxes, ['dated', 'held', 'recs']);
  assert.equal(artifact.meta.clientCode, 'sbx_test');
  const rules = artifact.rules.mboxes.hero;
  assert.deepEqual(rules.map((r: any) => r.condition), [
    { and: [{ '<=': [0, { var: 'allocation' }] }, { '>': [30, { var: 'allocation' }] }] },
    { and: [{ '<=': [30, { var: 'allocation' }] }, { '>': [100, { var: 'allocation' }] }] },
  ]);
  assert.equal(rules[1].consequence.options[0].content, '<b>o2</b>');
  assert.equal(typeof rules[1].consequence.options[0].eventToken, 'string');
});

test('the allocation the SDK computes picks the experience decide() picks, for every visitor', () => {
  const activity = ab('hero');
  const snapshot = snapshotOf([activity], offers);
  const rules = (buildArtifact(snapshot, { organizationId: 'Org@AdobeOrg' }) as any).rules.mboxes.hero;
  for (let i = 0; i < 300; i++) {
    const visitor = `visitor-${i}`;
    const allocation = targetAllocation(snapshot.client, activity.id, visitor);
    const local = rules.find((r: any) => r.condition.and[0]['<='][0] <= allocation && r.condition.and[1]['>'][0] > allocation);
    const server = decide({ visitorId: visitor, scopes: ['hero'] }, snapshot).propositions[0];
    assert.equal(local.meta['experience.id'], server.experience.id, visitor);
  }
});
