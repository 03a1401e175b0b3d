import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../../testing/harness.ts';
import type { Membership } from './store.ts';

/** Entered (`realized`) or staying (`existing`). */
const isMember = (membership: { status: string } | undefined) => membership?.status === 'realized' || membership?.status === 'existing';
const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const D1 = '11111111111111111111111111111111111111';
const VIEWED_SHOES = 'chain(xEvent, timestamp, [A: WHAT(web.webPageDetails.name = "shoes") WHEN(< 24 hours before now)])';
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const event = (id: string, identityMap: object, page: string, ago: number) => ({ _id: id, timestamp: minutesAgo(ago), identityMap, web: { webPageDetails: { name: page } } });

test('when two people merge, memberships follow the person: none is left on the vanished profile id', async () => {
  const server = await startTestServer();
  const { platform } = server.running;
  try {
    const sandbox = await platform.tenancy.getSandbox('prod');
    const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
    const shoes = (await server.api('POST', '/api/v1/audiences', { name: 'shoes', expression: pql(VIEWED_SHOES) })).body;
    const heard: Membership[] = [];
    platform.streamingAudiences.onChange((_s, changes) => heard.push(...changes));

    await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('e1', { ECID: [{ id: D1 }] }, 'shoes', 30));
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'C1' }, personalEmail: { address: 'ann@example.com' } });
    const device = (await server.api('GET', `/api/v1/profiles?identity=ECID:${D1}`)).body;
    const known = (await server.api('GET', '/api/v1/profiles?identity=CRMID:C1')).body;
    assert.notEqual(device.profileId, known.profileId, 'two people before the login');
    const firstEntry = device.segmentMembership.ups[shoes.id];
    assert.ok(isMember(firstEntry));

    // The device logs in with Ann's email: one person now.
    await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('e2', { ECID: [{ id: D1 }], Email: [{ id: 'ann@example.com' }] }, 'login', 1));
    const merged = (await server.api('GET', '/api/v1/profiles?identity=CRMID:C1')).body;
    assert.equal((await server.api('GET', `/api/v1/profiles?identity=ECID:${D1}`)).body.profileId, merged.profileId);
    const vanished = [device.profileId, known.profileId].find((id) => id !== merged.profileId)!;
    assert.deepEqual(await platform.memberships.forProfile(sandbox.id, vanished), [], 'no orphan membership');
    const members = (await server.api('GET', `/api/v1/audiences/${shoes.id}/members`)).body.items;
    assert.deepEqual(members.map((m: { profileId: string }) => m.profileId), [merged.profileId]);
    assert.equal(merged.segmentMembership.ups[shoes.id].lastQualificationTime, firstEntry.lastQualificationTime, 'the person qualified when the device first did');
    if (vanished === device.profileId) {
      assert.ok(heard.some((m) => m.profileId === vanished && m.status === 'exited'), 'destinations hear that the vanished id left');
      assert.ok(heard.some((m) => m.profileId === merged.profileId && m.status === 'realized'), 'and that the surviving id entered');
    }
  } finally {
    await server.stop();
  }
});

test('when a shared device moves to another person, both sides are re-evaluated', async () => {
  const server = await startTestServer();
  try {
    const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const shoes = (await server.api('POST', '/api/v1/audiences', { name: 'shoes', expression: pql(VIEWED_SHOES) })).body;
    // An anonymous device views shoes, then Carl logs in on it: Carl qualifies.
    await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('e1', { ECID: [{ id: D1 }] }, 'shoes', 30));
    await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('e2', { ECID: [{ id: D1 }], CRMID: [{ id: 'carl' }] }, 'login', 20));
    let carl = (await server.api('GET', '/api/v1/profiles?identity=CRMID:carl')).body;
    assert.ok(isMember(carl.segmentMembership.ups[shoes.id]));

    // Dana logs in on the same device: CRMID is unique per person, so the device (and its shoes
    // view) follows Dana; Carl no longer viewed shoes.
    await server.api('POST', `/api/v1/ingest/${web.body.id}`, event('e3', { ECID: [{ id: D1 }], CRMID: [{ id: 'dana' }] }, 'login', 10));
    carl = (await server.api('GET', '/api/v1/profiles?identity=CRMID:carl')).body;
    const dana = (await server.api('GET', '/api/v1/profiles?identity=CRMID:dana')).body;
    assert.notEqual(carl.profileId, dana.profileId);
    assert.deepEqual(dana.identities.map((i: { namespace: string }) => i.namespace).sort(), ['CRMID', 'ECID']);
    assert.ok(isMember(dana.segmentMembership.ups[shoes.id]), 'the shoes view went with the device to Dana');
    assert.ok(!isMember(carl.segmentMembership.ups[shoes.id]), 'Carl left the audience');
    const members = (await server.api('GET', `/api/v1/audiences/${shoes.id}/members`)).body.items;
    assert.deepEqual(members.map((m: { profileId: string }) => m.profileId), [dana.profileId]);
  } finally {
    await server.stop();
  }
});
