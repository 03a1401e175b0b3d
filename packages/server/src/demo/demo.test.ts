/* eslint-disable @typescript-eslint/no-explicit-any -- test: responses are asserted field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../testing/harness.ts';
import { demoData } from './demo-data.ts';
import { loadDemo } from './load-demo.ts';

test('the demo data is the same for the same seed, and realistic enough to stitch', () => {
  const a = demoData({ customers: 50, now: Date.parse('2026-11-23T00:00:00Z') });
  const b = demoData({ customers: 50, now: Date.parse('2026-11-23T00:00:00Z') });
  assert.equal(a.crmCsv, b.crmCsv);
  assert.equal(a.webJsonl, b.webJsonl);
  assert.equal(a.crmCsv.trim().split('\n').length, 51);
  const logins = a.webJsonl.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.identityMap.Email);
  assert.ok(logins.length > 0, 'some web visits log in, which stitches the device to a CRM customer');
});

test('the demo loads through the public API into one sandbox: datasets, people, audiences, a datastream and live activities', async () => {
  const server = await startTestServer();
  try {
    const summary = await loadDemo(server.running, { customers: 60, seed: 7 });
    assert.equal(summary.loaded, true);
    assert.match(summary.storefrontUrl, /\/demo\/\?configId=[0-9a-f-]{36}$/);

    const datasets = (await server.api('GET', '/api/v1/datasets')).body.items.map((d: any) => d.name);
    for (const name of ['demo_crm', 'demo_loyalty', 'demo_transactions', 'demo_web']) assert.ok(datasets.includes(name), name);

    // A customer who logged in on the web: one person across CRM, loyalty and the web device.
    const data = demoData({ customers: 60, seed: 7 });
    const member = data.customers.find((c) => c.ecid && data.loyaltyCsv.includes(`${c.crmId},`));
    assert.ok(member, 'the seed has a loyalty member who browsed');
    const profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${member.ecid}`);
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    const namespaces = profile.body.identities.map((i: any) => i.namespace).sort();
    assert.deepEqual(namespaces, ['CRMID', 'ECID', 'Email']);
    assert.equal(profile.body.attributes.person.name.firstName, member.firstName);
    assert.ok(profile.body.attributes.loyalty.tier, 'loyalty file merged in');

    const audiences = (await server.api('GET', '/api/v1/audiences')).body.items;
    assert.equal(audiences.filter((a: any) => Object.values(summary.audiences).includes(a.id)).length, 4);
    const activities = (await server.api('GET', '/api/v1/activities')).body.items;
    assert.deepEqual(activities.map((a: any) => a.status).sort(), ['live', 'live']);

    const again = await loadDemo(server.running, { customers: 60, seed: 7 });
    assert.equal(again.loaded, false, 'loading twice leaves the sandbox as it is');
    assert.equal(again.datastreamId, summary.datastreamId);
  } finally {
    await server.stop();
  }
});
