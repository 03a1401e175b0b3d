import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeFragments, type ProfileFragment } from './merge.ts';

const f = (datasetId: string, updatedAt: number, attributes: ProfileFragment['attributes']): ProfileFragment => ({ identity: 'CRMID\u0000a', datasetId, updatedAt, attributes });

test('timestampOrdered: per attribute, the most recent fragment that has it wins', () => {
  const merged = mergeFragments(
    [f('crm', 3, { person: { name: { firstName: 'Ann' } }, loyalty: { tier: 'gold' } }), f('app', 5, { loyalty: { tier: 'silver', points: 7 } }), f('pos', 1, { loyalty: { points: 1 }, crm: { lastPurchaseStore: 'Oslo' } })],
    { attributeMerge: { type: 'timestampOrdered' } },
  );
  assert.deepEqual(merged, { person: { name: { firstName: 'Ann' } }, loyalty: { tier: 'silver', points: 7 }, crm: { lastPurchaseStore: 'Oslo' } });
});

test('dataSetPrecedence: listed datasets win in order; unlisted datasets are not merged', () => {
  const fragments = [f('crm', 3, { loyalty: { tier: 'gold' } }), f('app', 5, { loyalty: { tier: 'silver', points: 7 } }), f('pos', 9, { loyalty: { tier: 'bronze' } })];
  assert.deepEqual(mergeFragments(fragments, { attributeMerge: { type: 'dataSetPrecedence', order: ['crm', 'app'] } }), { loyalty: { tier: 'gold', points: 7 } });
});

test('arrays are replaced whole, not merged element by element', () => {
  const merged = mergeFragments([f('a', 1, { tags: ['x', 'y'] }), f('b', 2, { tags: ['z'] })], { attributeMerge: { type: 'timestampOrdered' } });
  assert.deepEqual(merged, { tags: ['z'] });
});

test('merging never depends on the order fragments are read in', () => {
  const fragment = fc.record({
    datasetId: fc.constantFrom('a', 'b', 'c'),
    updatedAt: fc.integer({ min: 0, max: 1000 }),
    attributes: fc.dictionary(fc.constantFrom('x', 'y', 'z'), fc.oneof(fc.integer(), fc.dictionary(fc.constantFrom('p', 'q'), fc.integer()))),
  });
  fc.assert(
    fc.property(fc.uniqueArray(fragment, { selector: (x) => `${x.datasetId}@${x.updatedAt}`, maxLength: 6 }), (list) => {
      const frags = list.map((x) => f(x.datasetId, x.updatedAt, x.attributes));
      const policy = { attributeMerge: { type: 'timestampOrdered' as const } };
      assert.deepEqual(mergeFragments([...frags].reverse(), policy), mergeFragments(frags, policy));
    }),
    { numRuns: 300 },
  );
});

test('owned fragments merge to the same attributes; a lone applicable fragment is used without a copy', () => {
  const policies = [{ attributeMerge: { type: 'timestampOrdered' as const } }, { attributeMerge: { type: 'dataSetPrecedence' as const, order: ['crm'] } }];
  for (const policy of policies) {
    const lone = [f('crm', 3, { loyalty: { tier: 'gold' } }), ...(policy.attributeMerge.type === 'dataSetPrecedence' ? [f('pos', 9, { loyalty: { tier: 'bronze' } })] : [])];
    const owned = mergeFragments(lone, policy, { owned: true });
    assert.deepEqual(owned, mergeFragments(lone, policy));
    assert.equal(owned, lone[0].attributes, 'no copy of the one fragment that applies');
    const several = [f('crm', 3, { loyalty: { tier: 'gold' } }), f('crm', 1, { loyalty: { points: 2 } })];
    assert.deepEqual(mergeFragments(several, policy, { owned: true }), mergeFragments(several, policy));
  }
});
