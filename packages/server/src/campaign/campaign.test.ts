/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { assertProblem, startTestServer, type TestServer } from '../testing/harness.ts';
import { goldAudience, ingest, person, pql } from '../activation/test-support.ts';

let server: TestServer;
let goldId: string;
let clickedId: string;
let activationId: string;
const PEOPLE = 6;

/** Campaign's own date-time text: `yyyy-mm-dd hh:mm:ss`, UTC. */
const campaignTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

async function upload(kind: string, body: string, contentType = 'text/csv', sandbox?: string) {
  const res = await fetch(`${server.url}/api/v1/campaign/logs/${kind}`, {
    method: 'POST',
    headers: { authorization: 'Bearer mrd_test_admin_key_0123456789abcdef', 'content-type': contentType, ...(sandbox ? { 'x-sandbox-name': sandbox } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

async function finished(batchId: string, sandbox?: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const res = await server.api('GET', `/api/v1/batches/${batchId}`, undefined, sandbox ? { sandbox } : {});
    if (['success', 'partial', 'failed'].includes(res.body.status)) {
      await server.running.platform.settleProfiles();
      return res.body;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`batch ${batchId} did not finish`);
}

async function profile(identity: string, sandbox?: string): Promise<any> {
  const res = await server.api('GET', `/api/v1/profiles?identity=${encodeURIComponent(identity)}`, undefined, sandbox ? { sandbox } : {});
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Runs the campaign activation now and returns the rows of its file (CSV, header first). */
async function exportNow(): Promise<{ name: string; header: string[]; rows: Record<string, string>[] }> {
  const run = await server.api('POST', `/api/v1/activations/${activationId}/runs`);
  assert.equal(run.status, 202, JSON.stringify(run.body));
  await server.running.platform.activations.idle();
  const runs = await server.api('GET', `/api/v1/activations/${activationId}/runs`);
  const latest = runs.body.items.find((r: any) => r.id === run.body.id);
  assert.equal(latest.status, 'succeeded', JSON.stringify(latest));
  assert.equal(latest.files.length, 1);
  const [headerLine, ...lines] = readFileSync(latest.files[0], 'utf8').trimEnd().split('\n');
  const header = headerLine.split(',');
  return { name: basename(latest.files[0]), header, rows: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v]))) };
}

before(async () => {
  server = await startTestServer();
  const setup = await goldAudience(server);
  goldId = setup.audienceId;
  const clicked = await server.api('POST', '/api/v1/audiences', {
    name: 'clicked an email in the last 7 days',
    expression: pql('xEvent[eventType = "directMarketing.emailClicked" and timestamp occurs <= 7 days before now].count() > 0'),
    evaluationInfo: { continuous: { enabled: true } },
  });
  assert.equal(clicked.status, 201, JSON.stringify(clicked.body));
  clickedId = clicked.body.id;
  await ingest(server, setup.datasetId, Array.from({ length: PEOPLE }, (_, i) => person(i + 1)));
  await server.running.platform.settleProfiles();
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'Campaign Drop', type: 'campaign', settings: { folder: 'campaign/in' } });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'gold to Campaign',
    destinationId: destination.body.id,
    audienceIds: [goldId],
    mappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'person.name.lastName', destination: 'lastName' },
      { source: 'loyalty.points', destination: 'points' },
    ],
    identities: [{ namespace: 'CRMID' }, { namespace: 'Email' }],
    schedule: { type: 'batch', frequency: 'daily', at: '03:00' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  activationId = activation.body.id;
});
after(async () => server.stop());

test('run now drops the audience as a recipient file named like the suite, in the campaign layout', async () => {
  const file = await exportNow();
  assert.match(file.name, new RegExp(`^Campaign_Drop_segment${goldId}_\\d{14}\\.csv$`));
  assert.deepEqual(file.header, ['recipientId', 'email', 'firstName', 'lastName', 'points', 'audienceId', 'audienceName', 'segmentStatus']);
  assert.equal(file.rows.length, PEOPLE);
  const first = file.rows.find((r) => r.recipientId === 'C1');
  assert.ok(first, 'the CRMID is the recipient id');
  assert.equal(first.email.toLowerCase(), 'person1@example.com');
  assert.equal(first.firstName, 'First1');
  assert.equal(first.lastName, 'Last1');
  assert.equal(Number(first.points), 10);
  assert.equal(first.audienceId, goldId);
  assert.equal(first.audienceName, 'gold');
  assert.equal(first.segmentStatus, 'realized');
});

test('a click in a tracking log makes the person qualify for "clicked an email in the last 7 days"; bad rows are rejected alone', async () => {
  const yesterday = campaignTime(Date.now() - 86_400_000);
  const csv = [
    'iTrackingLogId,iBroadLogId,iDeliveryId,iRecipientId,sEmail,tsLog,sUrl,iUrlType',
    `9001,501,77,C1,person1@example.com,${yesterday},https://shop.example/sale,1`,
    `9002,502,77,C2,person2@example.com,${yesterday},,2`,
    `9003,503,77,C3,person3@example.com,not a date,https://shop.example/sale,1`,
    `9004,504,77,C4`,
    `9005,505,77,,,${yesterday},https://shop.example/sale,1`,
  ].join('\n');
  const res = await upload('tracking', csv);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.eventDataset.name, 'campaign_events');
  const batch = await finished(res.body.batch.id);
  assert.equal(batch.status, 'partial');
  assert.equal(batch.rowsAccepted, 2);
  assert.equal(batch.rowsRejected, 3);
  const rejections = (await server.api('GET', `/api/v1/batches/${batch.id}/rejections`)).body.items;
  assert.deepEqual(rejections.map((r: any) => r.row), [3, 4, 5]);
  assert.equal(rejections[0].errors[0].path, 'timestamp');
  assert.equal(rejections[0].original.campaign.sourceRow.tsLog, 'not a date', 'the Campaign row shows in the rejection');
  assert.match(JSON.stringify(rejections[1].original), /has 4 values but the header has 8 columns/);
  assert.deepEqual(rejections[2].errors.map((e: any) => e.path), ['identityMap']);

  const ann = await profile('Email:person1@example.com');
  assert.equal(ann.segmentMembership.ups[clickedId]?.status, 'realized', JSON.stringify(ann.segmentMembership));
  const events = await server.api('GET', `/api/v1/profiles/events?identity=CRMID:C1`);
  const click = events.body.items.find((e: any) => e.eventType === 'directMarketing.emailClicked');
  assert.ok(click, 'the click is on the person’s timeline');
  assert.equal(click.directMarketing.trackingURL, 'https://shop.example/sale');
  assert.equal(click.directMarketing.clicks.value, 1);
  const opener = await profile('CRMID:C2');
  assert.equal(opener.segmentMembership.ups[clickedId], undefined, 'an open is not a click');
});

test('a hard bounce blocks the address and flips the email consent: the person leaves the next campaign file', async () => {
  const csv = [
    'iBroadLogId;iDeliveryId;iRecipientId;sEmail;tsEvent;iStatus;iFailureType;iFailureReason;sDeliveryLabel',
    `601;77;C2;person2@example.com;${campaignTime(Date.now() - 3_600_000)};2;2;1;November newsletter`,
    `602;77;C4;person4@example.com;${campaignTime(Date.now() - 3_600_000)};1;;;November newsletter`,
    `603;77;C5;person5@example.com;${campaignTime(Date.now() - 3_600_000)};9;;;November newsletter`,
  ].join('\n');
  const res = await upload('broadlog?delimiter=%3B', csv);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.profileUpdates, 1);
  const batch = await finished(res.body.batch.id);
  assert.equal(batch.rowsAccepted, 2);
  assert.equal(batch.rowsRejected, 1, 'an unknown delivery status is rejected alone');
  const rejected = (await server.api('GET', `/api/v1/batches/${batch.id}/rejections`)).body.items[0];
  assert.equal(rejected.errors[0].path, 'campaign.status');

  const bounced = await profile('CRMID:C2');
  assert.equal(bounced.attributes.personalEmail.status, 'blocked');
  assert.equal(bounced.attributes.consents.marketing.email.val, 'n');
  assert.equal(bounced.attributes.campaignDeliverability.status, 'quarantined');
  assert.equal(bounced.attributes.campaignDeliverability.reason, 'unknown_user');
  assert.equal(bounced.attributes.loyalty.tier, 'gold', 'the CRM fragment is still merged in');
  const sent = await server.api('GET', `/api/v1/profiles/events?identity=CRMID:C4`);
  assert.ok(sent.body.items.some((e: any) => e.eventType === 'directMarketing.emailSent'));
  assert.equal((await profile('CRMID:C4')).attributes.personalEmail.status, undefined, 'a send changes nothing on the profile');

  const file = await exportNow();
  assert.deepEqual(file.rows.map((r) => r.recipientId).sort(), ['C1', 'C3', 'C4', 'C5', 'C6'], 'the bounced person is excluded by the email consent gate');
});

test('a file without the columns its kind needs is refused naming them; an unknown kind is a 400', async () => {
  const missing = await upload('broadlog', 'iBroadLogId,sEmail\n1,a@example.com\n');
  assertProblem({ status: missing.status, headers: missing.headers, body: missing.body }, 422, 'INVALID_FILE');
  assert.deepEqual(missing.body.errors.map((e: any) => e.path).sort(), ['eventDate', 'status']);
  const unknown = await upload('opens', 'a\n1\n');
  assert.equal(unknown.status, 400);
  const types = (await server.api('GET', '/api/v1/destinations/types')).body.items;
  assert.ok(types.some((t: any) => t.type === 'campaign'), 'the campaign destination type is listed');
  const openapi = await fetch(`${server.url}/openapi.json`).then((r) => r.json() as Promise<any>);
  assert.ok(openapi.paths['/api/v1/campaign/logs/{kind}'], 'the log import is in the OpenAPI description');
});

test('quarantine in JSON lines, in another sandbox: dev profiles are blocked or opted out, prod sees nothing of it', async () => {
  const sandbox = await server.api('POST', '/api/v1/sandboxes', { name: 'dev' });
  assert.equal(sandbox.status, 201, JSON.stringify(sandbox.body));
  const at = campaignTime(Date.now() - 60_000);
  const lines = [
    JSON.stringify({ sAddress: 'person6@example.com', iStatus: 3, iErrorReason: 'unsubscribed', tsLastModified: at, iErrorCount: 1 }),
    JSON.stringify({ sAddress: 'person3@example.com', iStatus: 0, iErrorType: 2, iErrorReason: 1, tsLastModified: at }),
    JSON.stringify({ sAddress: 'person5@example.com', iStatus: 0, iErrorType: 1, iErrorReason: 3, tsLastModified: at, iErrorCount: 'many' }),
    '{"sAddress": ',
  ].join('\n');
  const res = await upload('quarantine', lines, 'application/x-ndjson', 'dev');
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const batch = await finished(res.body.batch.id, 'dev');
  assert.equal(batch.rowsAccepted, 2);
  assert.equal(batch.rowsRejected, 2);
  const rejections = (await server.api('GET', `/api/v1/batches/${batch.id}/rejections`, undefined, { sandbox: 'dev' })).body.items;
  assert.deepEqual(rejections.map((r: any) => r.row), [3, 4]);
  assert.equal(rejections[0].errors[0].path, 'campaign.errorCount');
  assert.match(JSON.stringify(rejections[1].original), /is not valid JSON/);

  const denylisted = await profile('Email:person6@example.com', 'dev');
  assert.equal(denylisted.attributes.personalEmail.status, 'blacklisted');
  assert.equal(denylisted.attributes.consents.marketing.email.val, 'n');
  const quarantined = await profile('Email:person3@example.com', 'dev');
  assert.equal(quarantined.attributes.personalEmail.status, 'blocked');
  assert.equal(quarantined.attributes.campaignDeliverability.reason, 'unknown_user');
  const untouched = await server.api('GET', `/api/v1/profiles?identity=${encodeURIComponent('Email:person5@example.com')}`, undefined, { sandbox: 'dev' });
  assert.equal(untouched.status, 404, 'a rejected row writes no profile');

  const prodEvents = (await server.api('GET', '/api/v1/datasets')).body.items.find((d: any) => d.name === 'campaign_events');
  assert.notEqual(res.body.eventDataset.id, prodEvents.id, 'each sandbox has its own campaign datasets');
  assert.equal((await server.api('GET', `/api/v1/batches/${res.body.batch.id}`)).status, 404, 'prod cannot see the dev batch');
  for (const who of ['Email:person3@example.com', 'Email:person6@example.com']) {
    const prod = await profile(who);
    assert.equal(prod.attributes.personalEmail?.status, undefined, who);
    assert.equal(prod.attributes.consents, undefined, who);
  }
});
