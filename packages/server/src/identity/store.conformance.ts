/**
 * The identity store conformance cases: every implementation (embedded SQLite now, PostgreSQL
 * later) runs the same cases through `runIdentityStoreConformance`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, type IdentityGraph } from './graph.ts';
import { DEFAULT_IDENTITY_SETTINGS } from './linking.ts';
import type { IdentityStore } from './store.ts';

function graph(id: string, members: [string, string][], at = 1): IdentityGraph {
  const nodes = new Map(members.map(([ns, v]) => [identityKey(ns, v), { key: identityKey(ns, v), namespace: ns, value: v, type: 'cookie' as const, firstSeen: at, lastSeen: at }]));
  const keys = [...nodes.keys()];
  return { id, nodes, links: keys.slice(1).map((k) => ({ a: keys[0], b: k, datasetId: 'ds1', createdAt: at, lastSeen: at })) };
}

export function runIdentityStoreConformance(name: string, makeStore: () => Promise<IdentityStore>) {
  test(`${name}: saved graphs come back with their nodes and links`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['Email', 'a@x.com'], ['ECID', '1']])], []);
    const ids = await store.graphIdsOf('s1', [identityKey('Email', 'a@x.com'), identityKey('Email', 'unknown@x.com')]);
    assert.deepEqual([...ids], [[identityKey('Email', 'a@x.com'), 'g1']]);
    const [g] = await store.loadGraphs('s1', ['g1']);
    assert.equal(g.nodes.size, 3);
    assert.equal(g.links.length, 2);
    assert.equal(g.links[0].datasetId, 'ds1');
  });

  test(`${name}: a graph saved as created, then saved again, keeps only its latest links`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['ECID', '1']])], [], new Set(['g1']));
    assert.equal((await store.loadGraphs('s1', ['g1']))[0].links.length, 1);
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['ECID', '1'], ['ECID', '2']], 2)], []);
    const [g] = await store.loadGraphs('s1', ['g1']);
    assert.equal(g.nodes.size, 3);
    assert.equal(g.links.length, 2, 'the link of the first save was replaced, not kept beside the new ones');
  });

  test(`${name}: graph keys come back per graph, only for graphs of the sandbox that exist`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['Email', 'a@x.com']]), graph('g2', [['CRMID', 'b']])], []);
    await store.saveGraphs('s2', [graph('g3', [['CRMID', 'c']])], []);
    const keys = await store.graphKeys('s1', ['g2', 'g1', 'g3', 'nope']);
    assert.deepEqual([...keys.keys()].sort(), ['g1', 'g2']);
    assert.deepEqual([...keys.get('g1')!].sort(), [identityKey('CRMID', 'a'), identityKey('Email', 'a@x.com')].sort());
    assert.deepEqual(keys.get('g2'), [identityKey('CRMID', 'b')]);
    assert.equal((await store.graphKeys('s1', [])).size, 0);
  });

  test(`${name}: saving replaces a graph's links, moves nodes and removes deleted graphs`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['ECID', '1']]), graph('g2', [['CRMID', 'b']])], []);
    await store.saveGraphs('s1', [graph('g2', [['CRMID', 'b'], ['ECID', '1']], 2), graph('g1', [['CRMID', 'a']])], []);
    assert.equal((await store.graphIdsOf('s1', [identityKey('ECID', '1')])).get(identityKey('ECID', '1')), 'g2');
    const [g1] = await store.loadGraphs('s1', ['g1']);
    assert.equal(g1.links.length, 0);
    await store.saveGraphs('s1', [graph('g2', [['CRMID', 'b'], ['ECID', '1'], ['CRMID', 'a']], 3)], ['g1']);
    assert.equal((await store.loadGraphs('s1', ['g1']))[0].nodes.size, 0);
    assert.deepEqual(await store.countGraphs('s1'), { graphs: 1, identities: 3 });
  });

  test(`${name}: sandboxes never see each other's identities`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a']])], []);
    assert.equal((await store.graphIdsOf('s2', [identityKey('CRMID', 'a')])).size, 0);
    await store.deleteSandbox('s2');
    assert.equal((await store.graphIdsOf('s1', [identityKey('CRMID', 'a')])).size, 1);
    await store.deleteSandbox('s1');
    assert.equal((await store.graphIdsOf('s1', [identityKey('CRMID', 'a')])).size, 0);
  });

  test(`${name}: deleting identities removes them and their links`, async () => {
    const store = await makeStore();
    await store.saveGraphs('s1', [graph('g1', [['CRMID', 'a'], ['ECID', '1'], ['ECID', '2']])], []);
    await store.deleteIdentities('s1', [identityKey('CRMID', 'a')]);
    const [g] = await store.loadGraphs('s1', ['g1']);
    assert.deepEqual([...g.nodes.keys()].sort(), [identityKey('ECID', '1'), identityKey('ECID', '2')]);
    assert.equal(g.links.length, 0);
  });

  test(`${name}: settings and custom namespaces persist per sandbox`, async () => {
    const store = await makeStore();
    assert.equal(await store.getSettings('s1'), undefined);
    await store.putSettings('s1', { ...DEFAULT_IDENTITY_SETTINGS, graphLimit: 7 });
    assert.equal((await store.getSettings('s1'))?.graphLimit, 7);
    await store.putNamespace('s1', { code: 'LoyaltyID', name: 'Loyalty', type: 'cross_device', custom: true });
    assert.deepEqual((await store.listCustomNamespaces('s1')).map((n) => n.code), ['LoyaltyID']);
    assert.deepEqual(await store.listCustomNamespaces('s2'), []);
  });
}
