import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertProblem, startTestServer } from '../../testing/harness.ts';
import { loadConfig } from '../../app/config.ts';
import { bootstrapPlatform, openPlatform } from '../../app/platform.ts';
import { ManualClock } from '../memberships/clock.ts';
import { readIdentityCsv, readMultipart } from './upload.ts';

/** Entered (`realized`) or staying (`existing`): a later pass may already have moved one to the other. */
const isMember = (membership: { status: string } | undefined) => membership?.status === 'realized' || membership?.status === 'existing';
const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const codes = ['ECID', 'Email', 'CRMID', 'Phone'];
const resolve = (name: string) => codes.find((c) => c.toLowerCase() === name.toLowerCase());

test('an upload is read line by line: namespace columns, NS:value cells, a namespace parameter; bad lines named, the rest kept', () => {
  const byColumns = readIdentityCsv('email,crmid,note\nann@example.com,C1,vip\n,,\nbob@example.com,,\n', { resolve });
  assert.deepEqual(byColumns.identities.map((i) => `${i.line}:${i.namespace}:${i.value}`), ['2:Email:ann@example.com', '2:CRMID:C1', '4:Email:bob@example.com']);
  assert.deepEqual(byColumns.rejected, [{ line: 3, message: 'the line holds no identity' }]);
  assert.equal(byColumns.lines, 3);

  const byCells = readIdentityCsv('identity\nEmail:ann@example.com\nFax:123\nplain\n', { resolve });
  assert.deepEqual(byCells.identities.map((i) => i.namespace), ['Email']);
  assert.deepEqual(byCells.rejected.map((r) => r.line), [3, 4]);

  const byParameter = readIdentityCsv('id\nC1\nC2\n', { resolve, namespace: 'crmid' });
  assert.deepEqual(byParameter.identities.map((i) => `${i.namespace}:${i.value}`), ['CRMID:C1', 'CRMID:C2']);
  assert.throws(() => readIdentityCsv('favourite colour\nblue\n', { resolve }), /no column names an identity namespace/);
});

test('a multipart form is split into its parts', () => {
  const body = Buffer.from('--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\nVIP\r\n--xx\r\nContent-Disposition: form-data; name="file"; filename="l.csv"\r\nContent-Type: text/csv\r\n\r\nemail\na@b.co\n\r\n--xx--\r\n');
  const parts = readMultipart(body, 'multipart/form-data; boundary=xx');
  assert.deepEqual(parts.map((p) => [p.name, p.filename, p.body.toString()]), [['name', undefined, 'VIP'], ['file', 'l.csv', 'email\na@b.co\n']]);
});

test('an external audience holds the profiles with the uploaded identities, now and later, and works in inSegment', async () => {
  const server = await startTestServer();
  try {
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, [
      { crm: { crmId: 'C1' }, personalEmail: { address: 'ann@example.com' }, loyalty: { tier: 'gold' } },
      { crm: { crmId: 'C2' }, personalEmail: { address: 'bob@example.com' }, loyalty: { tier: 'gold' } },
    ]);
    const upload = await server.api('POST', '/api/v1/audiences/external?name=VIP%20list&ttlInDays=7', 'email\nAnn@Example.com\nnot-an-email\ncarl@example.com\n', {
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const vip = upload.body.audience;
    assert.equal(vip.origin, 'external');
    assert.deepEqual([upload.body.lines, upload.body.accepted], [3, 2]);
    assert.equal(upload.body.rejected.length, 1);
    assert.equal(upload.body.rejected[0].line, 3);
    assert.match(upload.body.rejected[0].message, /not-an-email/);
    assert.ok(Date.parse(vip.external.expiresAt) > Date.now() + 6.9 * 86_400_000);

    const goldVip = await server.api('POST', '/api/v1/audiences', { name: 'gold VIPs', expression: pql(`inSegment("${vip.id}") and loyalty.tier = "gold"`) });
    assert.equal(goldVip.status, 201, JSON.stringify(goldVip.body));
    assert.deepEqual(goldVip.body.dependencies, [vip.id]);
    const byName = await server.api('POST', '/api/v1/audiences', { name: 'VIPs by name', expression: pql('inSegment("VIP list")') });
    assert.equal(byName.status, 201, JSON.stringify(byName.body));

    assert.ok((await server.api('GET', '/openapi.json')).body.paths['/api/v1/audiences/external'].post, 'described in OpenAPI');
    const listed = await server.api('GET', '/api/v1/audiences');
    assert.deepEqual(listed.body.items.map((a: { name: string }) => a.name), ['VIP list', 'VIPs by name', 'gold VIPs']);
    const ann = await server.api('GET', '/api/v1/profiles?identity=CRMID:C1');
    assert.ok(isMember(ann.body.segmentMembership.ups[vip.id]), 'a member');
    const members = async (id: string) => (await server.api('GET', `/api/v1/audiences/${id}/members`)).body.items.map((m: { profileId: string }) => m.profileId);
    assert.deepEqual(await members(vip.id), [ann.body.profileId], 'bob was not on the list');

    // Carl appears after the upload and enters, and so does the audience built on it; Ann's next
    // record evaluates her against the audience created after her last one.
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { timestamp: new Date(Date.now() + 1000).toISOString(), crm: { crmId: 'C1' }, loyalty: { tier: 'gold', points: 10 } });
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'C3' }, personalEmail: { address: 'carl@example.com' }, loyalty: { tier: 'gold' } });
    const carl = await server.api('GET', '/api/v1/profiles?identity=CRMID:C3');
    assert.ok(isMember(carl.body.segmentMembership.ups[vip.id]), 'a member');
    assert.ok(isMember(carl.body.segmentMembership.ups[goldVip.body.id]), 'a member');
    assert.ok(isMember(carl.body.segmentMembership.ups[byName.body.id]), 'inSegment by name reads the same membership');
    assert.deepEqual((await members(goldVip.body.id)).sort(), [ann.body.profileId, carl.body.profileId].sort());

    // Other sandboxes never see it.
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
    assert.deepEqual((await server.api('GET', '/api/v1/audiences', undefined, { sandbox: 'dev' })).body.items, []);
    assertProblem(await server.api('GET', `/api/v1/audiences/${vip.id}`, undefined, { sandbox: 'dev' }), 404, 'AUDIENCE_NOT_FOUND');

    // In use by another audience: refused; then both go, with their memberships.
    assertProblem(await server.api('DELETE', `/api/v1/audiences/${vip.id}`), 409, 'AUDIENCE_IN_USE');
    assert.equal((await server.api('DELETE', `/api/v1/audiences/${goldVip.body.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/audiences/${byName.body.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/audiences/${vip.id}`)).status, 204);
    assertProblem(await server.api('GET', `/api/v1/audiences/${vip.id}/members`), 404, 'AUDIENCE_NOT_FOUND');
  } finally {
    await server.stop();
  }
});

test('uploads as a multipart form; bad uploads are refused naming the field', async () => {
  const server = await startTestServer();
  try {
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'C9' } });
    const boundary = 'meridian-test-boundary';
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCRM list\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="namespace"\r\n\r\nCRMID\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ids.csv"\r\nContent-Type: text/csv\r\n\r\ncustomer\nC9\nC10\n\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const upload = await server.api('POST', '/api/v1/audiences/external', form, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    assert.deepEqual(upload.body.audience.external.namespaces, ['CRMID']);
    assert.equal(upload.body.accepted, 2);
    const c9 = await server.api('GET', '/api/v1/profiles?identity=CRMID:C9');
    assert.ok(isMember(c9.body.segmentMembership.ups[upload.body.audience.id]), 'a member');

    // A privacy delete removes the person from uploaded lists too: coming back, they are a stranger.
    const erased = await server.api('POST', '/api/v1/privacy/jobs', { type: 'delete', identity: { namespace: 'CRMID', value: 'C9' } });
    assert.equal(erased.body.status, 'complete', JSON.stringify(erased.body));
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'C9' } });
    const back = await server.api('GET', '/api/v1/profiles?identity=CRMID:C9');
    assert.equal(back.body.segmentMembership.ups[upload.body.audience.id], undefined);

    const csv = { headers: { 'content-type': 'text/csv' } };
    const noName = await server.api('POST', '/api/v1/audiences/external', 'email\na@b.co\n', csv);
    assertProblem(noName, 400, 'VALIDATION_FAILED');
    assert.equal(noName.body.errors[0].path, 'name');
    const noIdentity = await server.api('POST', '/api/v1/audiences/external?name=x', 'colour\nblue\n', csv);
    assertProblem(noIdentity, 422, 'INVALID_FILE');
    assertProblem(await server.api('POST', '/api/v1/audiences/external?name=x&namespace=Fax', 'v\n1\n', csv), 422, 'INVALID_FILE');
    assertProblem(await server.api('POST', '/api/v1/audiences/external?name=x&ttlInDays=0', 'email\na@b.co\n', csv), 400, 'VALIDATION_FAILED');
    assertProblem(await server.api('POST', '/api/v1/audiences/external?name=x', { email: 'a@b.co' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const replace = await server.api('PUT', `/api/v1/audiences/${upload.body.audience.id}`, { name: 'x', expression: pql('true') });
    assertProblem(replace, 409, 'CONFLICT');
  } finally {
    await server.stop();
  }
});

test('members of an external audience exit when it expires', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-external-'));
  const clock = new ManualClock(Date.now());
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_external_test_key_012345678' }), { clock });
  try {
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'E1' } }], { source: 'test' });
    await platform.settleProfiles();
    const { audience } = await platform.externalAudiences.create(sandbox, { name: 'one day', ttlInDays: 1, csv: 'CRMID\nE1\n' });
    await platform.settleProfiles();
    assert.equal((await platform.memberships.members(sandbox.id, audience.id, { limit: 10 })).length, 1);
    await clock.advance(86_400_000);
    await platform.membershipTimers.idle();
    await platform.settleProfiles();
    assert.equal((await platform.memberships.members(sandbox.id, audience.id, { limit: 10 })).length, 0, 'the expiry timer exited the member');
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
