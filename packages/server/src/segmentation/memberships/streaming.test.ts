import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../../testing/harness.ts';
import { nextMembership } from './transitions.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const ECID = '05907638112924484241029082405297151763';

test('membership statuses: realized on entry, existing while staying, exited on leaving', () => {
  const entered = nextMembership(undefined, true, 1, 'p', 'a')!;
  assert.equal(entered.status, 'realized');
  const stays = nextMembership(entered, true, 2, 'p', 'a')!;
  assert.equal(stays.status, 'existing');
  assert.equal(stays.lastQualificationTime, 1);
  assert.equal(nextMembership(stays, true, 3, 'p', 'a'), undefined);
  const left = nextMembership(stays, false, 4, 'p', 'a')!;
  assert.equal(left.status, 'exited');
  assert.equal(nextMembership(left, false, 5, 'p', 'a'), undefined);
  assert.equal(nextMembership(undefined, false, 5, 'p', 'a'), undefined);
});

test('streaming audiences qualify people as their data arrives, visible in the profile and the members list', async () => {
  const server = await startTestServer();
  try {
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
    const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
    const shoes = await server.api('POST', '/api/v1/audiences', {
      name: 'viewed shoes 3 times',
      expression: pql('chain(xEvent, timestamp, [A: WHAT(web.webPageDetails.name = "shoes") WHEN(< 24 hours before now) COUNT(3)])'),
    });
    const both = await server.api('POST', '/api/v1/audiences', { name: 'gold runners', expression: pql(`inSegment("${gold.body.id}") and inSegment("${shoes.body.id}")`) });
    assert.equal(both.status, 201, JSON.stringify(both.body));

    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'C1' }, personalEmail: { address: 'ann@example.com' }, loyalty: { tier: 'gold' } });
    // Read before the next records arrive: records that reach the profile together are evaluated
    // in one pass (calls wait for a pass of their sandbox and join it), and enter as `realized`.
    let profile = await server.api('GET', '/api/v1/profiles?identity=CRMID:C1');
    assert.equal(profile.body.segmentMembership.ups[gold.body.id].status, 'realized', 'realized on the CRM record');
    const view = (n: number) => ({
      _id: `v${n}`,
      timestamp: new Date(Date.now() - (10 - n) * 60_000).toISOString(),
      identityMap: { ECID: [{ id: ECID }], Email: [{ id: 'ann@example.com' }] },
      web: { webPageDetails: { name: 'shoes' } },
    });
    await server.api('POST', `/api/v1/ingest/${web.body.id}`, [view(1), view(2)]);
    profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
    assert.equal(profile.body.segmentMembership.ups[gold.body.id].status, 'existing', 'existing once evaluated again');
    assert.equal(profile.body.segmentMembership.ups[shoes.body.id], undefined, 'two views are not three');

    await server.api('POST', `/api/v1/ingest/${web.body.id}`, view(3));
    profile = await server.api('GET', `/api/v1/profiles?identity=ECID:${ECID}`);
    assert.equal(profile.body.segmentMembership.ups[shoes.body.id].status, 'realized', 'the third view qualifies at once');
    assert.equal(profile.body.segmentMembership.ups[both.body.id].status, 'realized', 'audiences of audiences follow in the same pass');

    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { timestamp: new Date(Date.now() + 1000).toISOString(), crm: { crmId: 'C1' }, loyalty: { tier: 'silver' } });
    profile = await server.api('GET', `/api/v1/profiles?identity=CRMID:C1`);
    assert.equal(profile.body.segmentMembership.ups[gold.body.id].status, 'exited');
    assert.equal(profile.body.segmentMembership.ups[both.body.id].status, 'exited');

    const members = await server.api('GET', `/api/v1/audiences/${shoes.body.id}/members`);
    assert.deepEqual(members.body.items.map((m: { profileId: string }) => m.profileId), [profile.body.profileId]);
    assert.deepEqual((await server.api('GET', `/api/v1/audiences/${gold.body.id}/members`)).body.items, []);
  } finally {
    await server.stop();
  }
});
