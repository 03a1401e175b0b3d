import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, type IdentityGraph } from './graph.ts';
import { DEFAULT_IDENTITY_SETTINGS, linkIdentities, type IdentitySettings, type RecordIdentity } from './linking.ts';
import { standardNamespace } from './namespaces.ts';

/** A tiny in-memory graph world to drive the pure linking rules like the store does. */
function world(settings: IdentitySettings = DEFAULT_IDENTITY_SETTINGS) {
  const graphs = new Map<string, IdentityGraph>();
  let next = 0;
  let clock = 1_000;
  const graphOf = (ns: string, value: string) => [...graphs.values()].find((g) => g.nodes.has(identityKey(ns, value)));
  return {
    graphs,
    graphOf,
    members(ns: string, value: string): string[] {
      const g = graphOf(ns, value);
      return g ? [...g.nodes.values()].map((n) => `${n.namespace}:${n.value}`).sort() : [];
    },
    ingest(...ids: [string, string][]) {
      const identities: RecordIdentity[] = ids.map(([ns, value]) => ({ key: identityKey(ns, value), namespace: ns, value, type: standardNamespace(ns)!.type }));
      const touched = [...new Set(identities.map((i) => graphOf(i.namespace, i.value)).filter((g): g is IdentityGraph => g !== undefined))];
      const out = linkIdentities(touched, identities, { at: clock++, datasetId: 'ds', settings, newGraphId: () => `g${++next}` });
      for (const id of out.deleted) graphs.delete(id);
      for (const g of out.graphs) graphs.set(g.id, g);
      return out;
    },
  };
}

const D = '12345678901234567890123456789012345678';

test('identities carried by one record become one person', () => {
  const w = world();
  w.ingest(['ECID', D], ['Email', 'ann@example.com']);
  assert.deepEqual(w.members('ECID', D), [`ECID:${D}`, 'Email:ann@example.com']);
});

test('a second device that shares an email joins the same person', () => {
  const w = world();
  w.ingest(['ECID', D], ['Email', 'ann@example.com']);
  w.ingest(['ECID', '9'.repeat(38)], ['Email', 'ann@example.com']);
  assert.equal(w.members('Email', 'ann@example.com').length, 3);
  assert.equal(w.graphs.size, 1);
});

test('a shared device never merges two customers: the device follows the last person who logged in', () => {
  const w = world();
  w.ingest(['ECID', D], ['CRMID', 'alice']);
  w.ingest(['ECID', D], ['CRMID', 'bob']);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice']);
  assert.deepEqual(w.members('CRMID', 'bob'), ['CRMID:bob', `ECID:${D}`]);
  w.ingest(['ECID', D], ['CRMID', 'alice']);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice', `ECID:${D}`]);
  assert.deepEqual(w.members('CRMID', 'bob'), ['CRMID:bob']);
});

test('a shared family email does not merge two CRM customers; the newest link wins', () => {
  const w = world();
  w.ingest(['CRMID', 'alice'], ['Email', 'family@example.com'], ['ECID', D]);
  w.ingest(['CRMID', 'bob'], ['Email', 'family@example.com']);
  assert.deepEqual(w.members('CRMID', 'bob'), ['CRMID:bob', 'Email:family@example.com']);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice', `ECID:${D}`], 'alice keeps her device');
});

test('a graph that loses a bridging identity splits into its parts', () => {
  const w = world();
  // alice's device and bob's phone both linked only through the email
  w.ingest(['Email', 'shared@example.com'], ['ECID', D]);
  w.ingest(['Email', 'shared@example.com'], ['CRMID', 'alice']);
  w.ingest(['Email', 'shared@example.com'], ['CRMID', 'bob']);
  assert.deepEqual(w.members('CRMID', 'bob'), ['CRMID:bob', 'Email:shared@example.com']);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice']);
  assert.deepEqual(w.members('ECID', D), [`ECID:${D}`]);
});

test('a record with two CRMIDs links the first and refuses the second with a reason', () => {
  const w = world();
  const out = w.ingest(['CRMID', 'alice'], ['CRMID', 'bob'], ['ECID', D]);
  assert.equal(out.refused.length, 1);
  assert.match(out.refused[0].reason, /one CRMID/);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice', `ECID:${D}`]);
  assert.equal(w.graphOf('CRMID', 'bob'), undefined);
});

test('a full graph removes cookies before devices before people, oldest first, never the new ones', () => {
  const w = world({ ...DEFAULT_IDENTITY_SETTINGS, graphLimit: 4 });
  const ecid = (n: number) => String(n).padStart(38, '0');
  w.ingest(['CRMID', 'alice'], ['ECID', ecid(1)]);
  w.ingest(['CRMID', 'alice'], ['GAID', 'gaid-1']);
  w.ingest(['CRMID', 'alice'], ['ECID', ecid(2)]);
  const out = w.ingest(['CRMID', 'alice'], ['Email', 'alice@example.com']);
  assert.deepEqual(out.evicted, [identityKey('ECID', ecid(1))], 'the oldest cookie goes first');
  w.ingest(['CRMID', 'alice'], ['Phone', '+15551234567']);
  assert.deepEqual(w.members('CRMID', 'alice'), ['CRMID:alice', 'Email:alice@example.com', 'GAID:gaid-1', 'Phone:+15551234567'], 'then the next cookie, devices after');
  assert.ok(w.graphOf('ECID', ecid(1)), 'an evicted identity stays, on its own');
  assert.equal(w.members('ECID', ecid(1)).length, 1);
});
