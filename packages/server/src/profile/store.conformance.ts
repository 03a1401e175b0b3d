/**
 * The profile store conformance cases, shared by every implementation of `ProfileStore`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey } from '../identity/graph.ts';
import type { ProfileFragment } from './merge.ts';
import type { ProfileStore, RecordIdentityEntry } from './store.ts';

const ann = identityKey('CRMID', 'ann');
const device = identityKey('ECID', '1');

function event(identity: string, seq: number, timestamp: number, eventType = 'pageView', primary = true): RecordIdentityEntry {
  return { identity, seq, timestamp, datasetId: 'web', kind: 'event', primary, inProfile: true, eventType };
}

export function runProfileStoreConformance(name: string, makeStore: () => Promise<ProfileStore>) {
  test(`${name}: fragments of one identity and dataset deep-merge; a late older record only fills gaps`, async () => {
    const store = await makeStore();
    await store.apply('s1', { fragments: [{ identity: ann, datasetId: 'crm', updatedAt: 10, attributes: { loyalty: { tier: 'silver', points: 1 } } }], index: [] });
    await store.apply('s1', { fragments: [{ identity: ann, datasetId: 'crm', updatedAt: 20, attributes: { loyalty: { tier: 'gold' } } }], index: [] });
    await store.apply('s1', { fragments: [{ identity: ann, datasetId: 'crm', updatedAt: 5, attributes: { loyalty: { tier: 'bronze', program: 'x' } } }], index: [] });
    const [f] = await store.fragments('s1', [ann]);
    assert.deepEqual(f.attributes, { loyalty: { tier: 'gold', points: 1, program: 'x' } });
    assert.equal(f.updatedAt, 20);
    assert.deepEqual(await store.fragments('s2', [ann]), []);
  });

  test(`${name}: fragments of many identities at once are those of each identity read alone, sandbox by sandbox`, async () => {
    const store = await makeStore();
    const keys = Array.from({ length: 30 }, (_, i) => identityKey('CRMID', `p${i}`));
    const fragments = keys.flatMap((identity, i): ProfileFragment[] =>
      i % 3 === 2 ? [] : [{ identity, datasetId: 'crm', updatedAt: i, attributes: { n: i } }, ...(i % 2 === 0 ? [{ identity, datasetId: 'app', updatedAt: i, attributes: { app: true } }] : [])],
    );
    await store.apply('s1', { fragments, index: [] });
    await store.apply('s2', { fragments: [{ identity: keys[0], datasetId: 'crm', updatedAt: 1, attributes: { other: true } }], index: [] });
    const together = await store.fragments('s1', [...keys, identityKey('CRMID', 'unknown')]);
    const alone = (await Promise.all(keys.map((k) => store.fragments('s1', [k])))).flat();
    const order = (list: { identity: string; datasetId: string }[]) => [...list].sort((a, b) => `${a.identity}/${a.datasetId}`.localeCompare(`${b.identity}/${b.datasetId}`));
    assert.equal(together.length, fragments.length);
    assert.deepEqual(order(together), order(alone));
    assert.deepEqual((await store.fragments('s2', keys)).map((f) => f.attributes), [{ other: true }]);
  });

  test(`${name}: the timeline pages newest first across identities, filters by type and time, and skips non-primary entries`, async () => {
    const store = await makeStore();
    await store.apply('s1', {
      fragments: [],
      index: [event(ann, 1, 100), event(device, 2, 200, 'purchase'), event(device, 3, 300), event(device, 4, 400, 'pageView', false), event(ann, 5, 300)],
    });
    const all = await store.timeline('s1', [ann, device], { limit: 10 });
    assert.deepEqual(all.map((e) => e.seq), [5, 3, 2, 1]);
    const page2 = await store.timeline('s1', [ann, device], { limit: 2, before: { timestamp: 300, seq: 3 } });
    assert.deepEqual(page2.map((e) => e.seq), [2, 1]);
    assert.deepEqual((await store.timeline('s1', [ann, device], { limit: 10, eventTypes: ['purchase'] })).map((e) => e.seq), [2]);
    assert.deepEqual((await store.timeline('s1', [ann, device], { limit: 10, from: 150, to: 300 })).map((e) => e.seq), [2]);
    assert.deepEqual((await store.recordSeqs('s1', [device])).sort(), [2, 3, 4]);
    // The lean form audience evaluation reads agrees with the timeline.
    assert.deepEqual(await store.eventSeqs('s1', [ann, device], { limit: 10 }), [5, 3, 2, 1]);
    assert.deepEqual(await store.eventSeqs('s1', [ann, device], { limit: 2 }), [5, 3]);
    assert.deepEqual(await store.eventSeqs('s1', [ann, device], { limit: 10, from: 250 }), [5, 3]);
    assert.deepEqual(await store.eventSeqs('s1', [device], { limit: 10 }), [3, 2], 'one identity: non-primary entries skipped too');
    assert.deepEqual(await store.eventSeqs('s2', [ann], { limit: 10 }), []);
  });

  test(`${name}: event positions of many people at once are each person's read alone`, async () => {
    const store = await makeStore();
    // 40 people of one to three identities, events spread in time, some non-primary, one with no events.
    const people = Array.from({ length: 40 }, (_, p) => Array.from({ length: 1 + (p % 3) }, (_, k) => identityKey(k === 0 ? 'CRMID' : 'ECID', `p${p}-${k}`)));
    let seq = 0;
    const index: RecordIdentityEntry[] = [];
    for (const [p, keys] of people.entries()) {
      if (p === 7) continue;
      for (const [k, key] of keys.entries()) for (let n = 0; n < 1 + ((p + k) % 5); n++) index.push(event(key, ++seq, 100 + ((seq * 37) % 400), 'pageView', n % 4 !== 3));
    }
    await store.apply('s1', { fragments: [], index });
    await store.apply('s2', { fragments: [], index: [event(people[0][0], ++seq, 300)] });
    for (const query of [{ limit: 1000 }, { limit: 3 }, { limit: 10, from: 300 }]) {
      const together = await store.eventSeqsOfPeople('s1', people, query);
      const alone = await Promise.all(people.map((keys) => store.eventSeqs('s1', keys, query)));
      assert.deepEqual(together, alone, JSON.stringify(query));
    }
    assert.deepEqual(await store.eventSeqsOfPeople('s1', [], { limit: 5 }), []);
  });

  test(`${name}: deleting identities, datasets and sandboxes removes their fragments and index`, async () => {
    const store = await makeStore();
    await store.apply('s1', { fragments: [{ identity: ann, datasetId: 'crm', updatedAt: 1, attributes: { a: 1 } }], index: [event(ann, 1, 1), event(device, 2, 2)] });
    await store.deleteIdentities('s1', [ann]);
    assert.deepEqual(await store.fragments('s1', [ann]), []);
    assert.deepEqual(await store.recordSeqs('s1', [ann]), []);
    await store.apply('s1', { fragments: [], index: [event(device, 3, 50), event(device, 4, 500)] });
    assert.equal(await store.expire('s1', 'web', 100), 2, 'retention drops entries older than the cutoff');
    assert.deepEqual(await store.recordSeqs('s1', [device]), [4]);
    await store.deleteDataset('s1', 'web');
    assert.deepEqual(await store.recordSeqs('s1', [device]), []);
  });

  test(`${name}: merge policies and the watermark persist`, async () => {
    const store = await makeStore();
    assert.equal(await store.watermark(), 0);
    await store.setWatermark(42);
    assert.equal(await store.watermark(), 42);
    await store.apply('s1', { fragments: [], index: [], watermark: 57 });
    assert.equal(await store.watermark(), 57, 'a projection batch moves the watermark with its write');
    await store.apply('s1', { fragments: [], index: [] });
    assert.equal(await store.watermark(), 57, 'a batch without one leaves it');
    const policy = {
      id: 'mp1', name: 'p', schema: { name: '_xdm.context.profile' as const }, identityGraph: { type: 'pdg' as const },
      attributeMerge: { type: 'timestampOrdered' as const }, default: true, isActiveOnEdge: true, version: 1, updateEpoch: 1,
    };
    await store.putPolicy('s1', policy);
    assert.deepEqual(await store.listPolicies('s1'), [policy]);
    assert.equal(await store.deletePolicy('s1', 'mp1'), true);
    assert.deepEqual(await store.listPolicies('s1'), []);
  });
}
