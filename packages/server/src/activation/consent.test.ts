/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { fakeDestination, ingest, person, pql, type FakeDestination } from './test-support.ts';

let server: TestServer;
let hook: FakeDestination;
let datasetId: string;
let audienceId: string;

/** Five gold members with different consents. */
const PEOPLE = {
  emailYes: person(1, 'gold', { consents: { marketing: { email: { val: 'y' } } } }),
  emailNo: person(2, 'gold', { consents: { marketing: { email: { val: 'n' } } } }),
  generalOptOut: person(3, 'gold', { optInOut: { globalOptout: true } }),
  unset: person(4),
  allMarketingNo: person(5, 'gold', { consents: { marketing: { any: { val: 'n' }, email: { val: 'y' } } } }),
};

before(async () => {
  server = await startTestServer();
  hook = await fakeDestination();
  // The standard profile field groups plus the legacy general opt-out flag.
  const schema = await server.api('POST', '/api/v1/schemas', {
    name: 'consenting',
    class: 'profile',
    fieldGroups: ['person', 'contact', 'consents', 'loyalty', 'crm'],
    fields: { optInOut: { type: 'object', properties: { globalOptout: { type: 'boolean' } } } },
    identities: [
      { path: 'crm.crmId', namespace: 'CRMID', primary: true },
      { path: 'personalEmail.address', namespace: 'Email' },
    ],
  });
  assert.equal(schema.status, 201, JSON.stringify(schema.body));
  const dataset = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: schema.body.id, profileEnabled: true });
  assert.equal(dataset.status, 201, JSON.stringify(dataset.body));
  datasetId = dataset.body.id;
  const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
  assert.equal(gold.status, 201, JSON.stringify(gold.body));
  audienceId = gold.body.id;
  await ingest(server, datasetId, Object.values(PEOPLE));
  await server.running.platform.settleProfiles();
});
after(async () => {
  await server.stop();
  await hook.close();
});

const emailOf = (x: { json: any }) => x.json?.identityMap?.Email?.[0]?.id;

async function activate(name: string, type: string, settings: Record<string, unknown>, extra: Record<string, unknown>) {
  const destination = await server.api('POST', '/api/v1/destinations', { name, type, settings });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const activation = await server.api('POST', '/api/v1/activations', {
    name,
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [{ source: 'person.name.firstName', destination: 'firstName' }],
    identities: [{ namespace: 'Email' }],
    ...extra,
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  return activation.body.id as string;
}

const runsOf = async (id: string) => (await server.api('GET', `/api/v1/activations/${id}/runs`)).body.items as any[];

test('an email webhook never sends people who opted out of email, of all marketing, or of everything; opted-in and unset people arrive', async () => {
  const id = await activate('email hook', 'webhook', { url: hook.url, consentPurposes: ['email'] }, { schedule: { type: 'streaming' } });
  await server.running.platform.activations.idle();
  const mine = () => hook.received.filter((x) => String(x.headers['idempotency-key']).startsWith(`${id}:`));
  assert.deepEqual(mine().map(emailOf).sort(), ['person1@example.com', 'person4@example.com'], 'the backfill sends only those whose consent allows email');
  const backfill = (await runsOf(id)).find((r) => r.kind === 'backfill');
  assert.equal(backfill.skippedConsent, 3);
  assert.equal(backfill.delivered, 2);

  // Streaming entries go through the same gate.
  await ingest(server, datasetId, [person(6, 'gold', { consents: { marketing: { email: { val: 'n' } } } }), person(7, 'gold', { consents: { marketing: { email: { val: 'y' } } } })]);
  await hook.waitFor(() => mine().some((x) => emailOf(x) === 'person7@example.com'));
  await server.running.platform.activations.idle();
  assert.ok(!mine().some((x) => emailOf(x) === 'person6@example.com'), 'an entry opted out of email is not sent');
  const streaming = (await runsOf(id)).find((r) => r.kind === 'streaming');
  assert.equal(streaming.skippedConsent, 1);
});

test('by default a webhook checks consent to any marketing: an email-only opt-out still arrives, a general opt-out never does', async () => {
  const id = await activate('any hook', 'webhook', { url: hook.url }, { schedule: { type: 'streaming' } });
  await server.running.platform.activations.idle();
  const sent = hook.received.filter((x) => String(x.headers['idempotency-key']).startsWith(`${id}:`)).map(emailOf);
  assert.ok(sent.includes('person2@example.com'), 'an email opt-out does not deny other marketing');
  assert.ok(!sent.includes('person3@example.com'), 'the general opt-out denies everything');
  assert.ok(!sent.includes('person5@example.com'), 'no to all marketing denies it');
  assert.ok(sent.includes('person1@example.com') && sent.includes('person4@example.com'));
});

test('a file export for email targeting leaves out everyone whose consent denies email; the run counts them', async () => {
  const id = await activate('email file', 'file', { folder: 'consent', format: 'jsonl' }, { schedule: { type: 'batch', frequency: 'once' }, marketingActionId: 'emailTargeting' });
  await server.running.platform.activations.idle();
  const run = (await runsOf(id)).find((r) => r.kind === 'scheduled');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const rows = run.files.flatMap((f: string) => readFileSync(f, 'utf8').trim().split('\n').map((line: string) => JSON.parse(line)));
  const emails = rows.map((r: any) => r.Email).sort();
  assert.deepEqual(emails, ['person1@example.com', 'person4@example.com', 'person7@example.com'], 'the emailTargeting action needs email consent, even through a file');
  assert.equal(run.skippedConsent, 4);
});

test('ad audiences need consent to share: nobody is sent until they allow it', async () => {
  const id = await activate('ads', 'ad-audience', { url: hook.url, accessToken: 'tok' }, { schedule: { type: 'batch', frequency: 'once' } });
  await server.running.platform.activations.idle();
  assert.equal(hook.received.filter((x) => x.headers.authorization === 'Bearer tok').length, 0, 'share is denied until given');
  const run = (await runsOf(id)).find((r) => r.kind === 'scheduled');
  assert.equal(run.skippedConsent, 7);
});
