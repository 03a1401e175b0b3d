/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../testing/harness.ts';
import { fakeDestination, goldAudience, ingest, person, type FakeDestination } from './test-support.ts';

let server: TestServer;
let hook: FakeDestination;
let datasetId: string;
let audienceId: string;
const sharing = { consents: { share: { val: 'y' } } };

before(async () => {
  server = await startTestServer();
  hook = await fakeDestination();
  ({ datasetId, audienceId } = await goldAudience(server));
  // The suite ships core policies disabled; this sandbox enforces "no export to a third party of C1/C2/C12 data".
  const enabled = await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'ENABLED' });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
});
after(async () => {
  await server.stop();
  await hook.close();
});

const labelDataset = async (labels: string[]) => {
  const res = await server.api('PATCH', `/api/v1/datasets/${datasetId}`, { labels });
  assert.equal(res.status, 200, JSON.stringify(res.body));
};

const emailOf = (x: { json: any }) => x.json?.identityMap?.Email?.[0]?.id;

const webhookActivation = async (name: string) => {
  const destination = await server.api('POST', '/api/v1/destinations', { name, type: 'webhook', settings: { url: hook.url } });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  return server.api('POST', '/api/v1/activations', {
    name,
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [{ source: 'person.name.firstName', destination: 'firstName' }],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'streaming' },
    marketingActionId: 'exportToThirdParty',
  });
};

async function until<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('an activation exporting C2 data to a third party is refused at creation, naming the field, the label and the policy', async () => {
  await labelDataset(['C2']);
  try {
    const refused = await webhookActivation('refused');
    assertProblem(refused, 422, 'ACTIVATION_BLOCKED');
    assert.match(refused.body.detail, /Restrict data export to third parties/i, 'the policy is named');
    assert.match(refused.body.detail, /C2/, 'the label is named');
    assert.match(refused.body.detail, /person\.name\.firstName|loyalty\.tier/, 'a field carrying the label is named');
    const violation = refused.body.violations[0];
    assert.equal(violation.policyId, 'core-export-third-party');
    assert.deepEqual(violation.labels, ['C2']);
    assert.ok(violation.lineage.some((l: any) => l.label === 'C2' && l.dataset === datasetId && typeof l.field === 'string'), JSON.stringify(violation.lineage));
    assert.equal((await server.api('GET', '/api/v1/activations')).body.items.filter((a: any) => a.name === 'refused').length, 0, 'nothing is saved');
  } finally {
    await labelDataset([]);
  }
});

test('an allowed activation whose dataset becomes C2 is blocked at run time with the explanation, keeps its outbox, and resumes when the label is removed', async () => {
  const { activations } = server.running.platform;
  activations.tune({ guardTtlMs: 60_000 }); // a cached verdict would last a minute: only the dataset's change can drop it in time
  await ingest(server, datasetId, [person(1, 'gold', sharing)]);
  await server.running.platform.settleProfiles();
  const created = await webhookActivation('runtime');
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, 'active');
  const id = created.body.id;
  await hook.waitFor((r) => r.some((x) => emailOf(x) === 'person1@example.com'));

  // Labels change after the activation was saved: the change drops the cached verdict, so the next delivery asks the guard again.
  await labelDataset(['C2']);
  await ingest(server, datasetId, [person(2, 'gold', sharing)]);
  const blocked = await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'blocked', 'the activation is blocked');
  assert.match(blocked.body.blocked.reason, /Restrict data export to third parties/i);
  assert.match(blocked.body.blocked.reason, /C2/);
  assert.equal(blocked.body.blocked.violations[0].policyId, 'core-export-third-party');
  assert.ok(blocked.body.blocked.violations[0].lineage.some((l: any) => l.label === 'C2' && typeof l.field === 'string'));
  const waiting = await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.stats.pending >= 1, 'the change waits in the outbox');
  assert.equal(waiting.body.stats.deadLetters, 0, 'a blocked delivery is not a failure');
  await new Promise((r) => setTimeout(r, 300)); // several re-checks pass while it stays blocked
  assert.ok(!hook.received.some((x) => emailOf(x) === 'person2@example.com'), 'nothing is sent while blocked');
  const runs = await server.api('GET', `/api/v1/activations/${id}/runs`);
  assert.ok(runs.body.items.some((r: any) => r.status === 'blocked' && typeof r.lastError === 'string' && r.lastError.startsWith('blocked by governance') && r.lastError.includes('C2')), JSON.stringify(runs.body.items));

  // The label goes: the next check lifts the block and the waiting change is delivered.
  await labelDataset([]);
  await hook.waitFor((r) => r.some((x) => emailOf(x) === 'person2@example.com'));
  const resumed = await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'active' && res.body.stats.pending === 0, 'the activation resumes');
  assert.equal(resumed.body.blocked, undefined);
  assert.equal(resumed.body.stats.deadLetters, 0);
});

test('a schema field labelled C2 after the activation was saved blocks its next delivery at once, and unlabelling it resumes', async () => {
  const { activations } = server.running.platform;
  activations.tune({ guardTtlMs: 60_000 }); // only the schema's change can drop the cached verdict in time
  const created = await webhookActivation('schema labels');
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  await ingest(server, datasetId, [person(4, 'gold', sharing)]);
  await hook.waitFor((r) => r.some((x) => String(x.headers['idempotency-key']).startsWith(`${id}:`) && emailOf(x) === 'person4@example.com'));

  const current = (await server.api('GET', '/api/v1/schemas/profile')).body;
  const input = (labels: Record<string, string[]>) => ({ name: current.name, title: current.title, class: current.class, fieldGroups: current.fieldGroups, ...(current.fields ? { fields: current.fields } : {}), identities: current.identities, labels });
  const labelled = await server.api('PUT', `/api/v1/schemas/${current.id}`, input({ ...current.labels, 'person.name.firstName': ['C2'] }));
  assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
  try {
    await ingest(server, datasetId, [person(5, 'gold', sharing)]);
    const blocked = await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'blocked', 'the activation is blocked');
    assert.ok(blocked.body.blocked.violations[0].lineage.some((l: any) => l.label === 'C2' && l.field === 'person.name.firstName'), JSON.stringify(blocked.body.blocked));
    assert.ok(!hook.received.some((x) => emailOf(x) === 'person5@example.com'), 'nothing is sent while blocked');
  } finally {
    const restored = await server.api('PUT', `/api/v1/schemas/${current.id}`, input(current.labels));
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
  }
  await hook.waitFor((r) => r.some((x) => emailOf(x) === 'person5@example.com'));
  await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'active', 'the activation resumes');
});

test('disabling the policy resumes a blocked activation at once (governance announces its changes)', async () => {
  const { activations } = server.running.platform;
  activations.tune({ guardTtlMs: 60_000 }); // only the change listener can lift the block in time
  const created = await webhookActivation('policy change');
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  await labelDataset(['C2']);
  // A cached verdict would last a minute: enabling the policy again (a governance change) drops it.
  await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'ENABLED' });
  await ingest(server, datasetId, [person(3, 'gold', sharing)]);
  await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'blocked', 'the activation is blocked');
  const disabled = await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'DISABLED' });
  assert.equal(disabled.status, 200);
  await hook.waitFor((r) => r.some((x) => String(x.headers['idempotency-key']).startsWith(`${id}:`) && emailOf(x) === 'person3@example.com'));
  await until(() => server.api('GET', `/api/v1/activations/${id}`), (res) => res.body.status === 'active', 'the activation resumes');
  await labelDataset([]);
  await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'ENABLED' });
});

test('a batch export run of a violating activation writes no file and records the refusal; it completes once the label is removed', async () => {
  const { activations } = server.running.platform;
  activations.tune({ guardTtlMs: 150 });
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'drop', type: 'file', settings: { folder: 'governed', format: 'csv' } });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const created = await server.api('POST', '/api/v1/activations', {
    name: 'daily file',
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'batch', frequency: 'daily', at: '03:00' },
    marketingActionId: 'exportToThirdParty',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  await labelDataset(['C2']);
  await new Promise((r) => setTimeout(r, 200));
  const run = await server.api('POST', `/api/v1/activations/${id}/runs`);
  assert.equal(run.status, 202, JSON.stringify(run.body));
  const refused = await until(
    () => server.api('GET', `/api/v1/activations/${id}/runs`),
    (res) => res.body.items.some((r: any) => r.id === run.body.id && String(r.lastError).startsWith('blocked by governance')),
    'the run records the refusal',
  );
  const pending = refused.body.items.find((r: any) => r.id === run.body.id);
  assert.equal(pending.status, 'blocked', 'an open run of a blocked activation says so');
  assert.equal(pending.files, undefined, 'no file is written while blocked');
  assert.equal((await server.api('GET', `/api/v1/activations/${id}`)).body.status, 'blocked');
  await labelDataset([]);
  const done = await until(
    () => server.api('GET', `/api/v1/activations/${id}/runs`),
    (res) => res.body.items.some((r: any) => r.id === run.body.id && r.status === 'succeeded'),
    'the run completes after the label is removed',
  );
  assert.equal(done.body.items.find((r: any) => r.id === run.body.id).files.length, 1);
});

test('policies are per sandbox: a C2 dataset in a sandbox whose policy is disabled does not block its activations', async () => {
  const created = await server.api('POST', '/api/v1/sandboxes', { name: 'dev', title: 'Dev', type: 'development' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const dev = await goldAudience(server, 'dev');
  const labelled = await server.api('PATCH', `/api/v1/datasets/${dev.datasetId}`, { labels: ['C2'] }, { sandbox: 'dev' });
  assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
  await ingest(server, dev.datasetId, [person(40, 'gold', sharing)], 'dev');
  await server.running.platform.settleProfiles();
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'dev hook', type: 'webhook', settings: { url: hook.url } }, { sandbox: 'dev' });
  const activation = await server.api(
    'POST',
    '/api/v1/activations',
    { name: 'dev export', destinationId: destination.body.id, audienceIds: [dev.audienceId], identities: [{ namespace: 'Email' }], schedule: { type: 'streaming' }, marketingActionId: 'exportToThirdParty' },
    { sandbox: 'dev' },
  );
  assert.equal(activation.status, 201, 'prod enables the policy, dev does not');
  await hook.waitFor((r) => r.some((x) => emailOf(x) === 'person40@example.com'));
  assert.equal((await server.api('GET', `/api/v1/activations/${activation.body.id}`)).status, 404, 'prod does not see dev\'s activation');
});
