import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { TEST_ADMIN_KEY, assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteJobStore } from './sqlite-store.ts';
import type { AudienceJobCounts } from './model.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const ECID = '05907638112924484241029082405297151763';

/** Polls a job until it has finished. */
async function finished(server: TestServer, id: string, sandbox?: string) {
  for (let i = 0; i < 400; i++) {
    const res = await server.api('GET', `/api/v1/audiences/jobs/${id}`, undefined, sandbox ? { sandbox } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

async function runJob(server: TestServer, body?: unknown, sandbox?: string) {
  const res = await server.api('POST', '/api/v1/audiences/jobs', body, sandbox ? { sandbox } : {});
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.status, 'queued');
  const job = await finished(server, res.body.id, sandbox);
  assert.equal(job.status, 'succeeded', job.error);
  return job;
}

const countsOf = (job: { audiences: AudienceJobCounts[] }, id: string) => job.audiences.find((a) => a.audienceId === id);

test('batch audience API on one server', async (t) => {
  const server = await startTestServer();
  try {
    await t.test('a batch job qualifies every person in one pass, then moves memberships to existing and exited on the next run', () => jobFlow(server));
    await t.test('the schedule is daily by default, takes any cron text croner reads, and names the field when it cannot', () => scheduleFlow(server));
    await t.test('estimates answer for unsaved expressions from a sample, and refuse invalid PQL like validation does', () => estimateFlow(server));
  } finally {
    await server.stop();
  }
});

async function jobFlow(server: TestServer) {
  const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
  const web = await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
  await server.api('POST', `/api/v1/ingest/${crm.body.id}`, [
    { crm: { crmId: 'c1' }, personalEmail: { address: 'ann@example.com' }, loyalty: { tier: 'gold' } },
    { crm: { crmId: 'c2' }, personalEmail: { address: 'bob@example.com' }, loyalty: { tier: 'silver' } },
    { crm: { crmId: 'c3' }, personalEmail: { address: 'cat@example.com' }, loyalty: { tier: 'gold' } },
  ]);
  const view = (n: number) => ({
    _id: `v${n}`,
    timestamp: new Date(Date.now() - n * 3_600_000).toISOString(),
    identityMap: { ECID: [{ id: ECID }], Email: [{ id: 'ann@example.com' }] },
    web: { webPageDetails: { name: 'shoes' } },
  });
  await server.api('POST', `/api/v1/ingest/${web.body.id}`, [view(1), view(2)]);
  await server.api('GET', '/api/v1/profiles?identity=CRMID:c1'); // settles profiles and streaming evaluation first
  // Created after the data: only a job can qualify anyone for them.
  const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
  const viewers = await server.api('POST', '/api/v1/audiences', { name: 'shoe viewers', expression: pql('xEvent[web.webPageDetails.name = "shoes"].count() >= 2') });
  const both = await server.api('POST', '/api/v1/audiences', { name: 'gold shoe viewers', expression: pql(`inSegment("${gold.body.id}") and inSegment("shoe viewers")`) });
  assert.equal(both.status, 201, JSON.stringify(both.body));

  const first = await runJob(server);
  assert.equal(first.profilesEvaluated, 3, 'ann (CRM row and web events, one graph), bob, cat');
  assert.deepEqual(countsOf(first, gold.body.id), { audienceId: gold.body.id, realized: 2, existing: 0, exited: 0, total: 2 });
  assert.deepEqual(countsOf(first, viewers.body.id), { audienceId: viewers.body.id, realized: 1, existing: 0, exited: 0, total: 1 });
  assert.deepEqual(countsOf(first, both.body.id), { audienceId: both.body.id, realized: 1, existing: 0, exited: 0, total: 1 }, 'inSegment reads this job\'s results, by id and by name');
  assert.ok(first.timings.totalMs >= first.timings.evaluateMs);
  assert.deepEqual(first.skipped, []);

  let ann = await server.api('GET', '/api/v1/profiles?identity=CRMID:c1');
  assert.equal(ann.body.segmentMembership.ups[both.body.id].status, 'realized');
  const members = await server.api('GET', `/api/v1/audiences/${gold.body.id}/members?limit=1`);
  assert.equal(members.body.items.length, 1);
  assert.ok(members.body.next, 'a cursor to the second member');
  const rest = await server.api('GET', `/api/v1/audiences/${gold.body.id}/members?limit=1&cursor=${encodeURIComponent(members.body.next)}`);
  assert.equal(rest.body.items.length, 1);
  assert.notEqual(rest.body.items[0].profileId, members.body.items[0].profileId);

  await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { timestamp: new Date(Date.now() + 1000).toISOString(), crm: { crmId: 'c3' }, loyalty: { tier: 'silver' } });
  const second = await runJob(server);
  // Streaming moved cat out as her record arrived; the job agrees and has nothing to write for her.
  assert.deepEqual(countsOf(second, gold.body.id), { audienceId: gold.body.id, realized: 0, existing: 1, exited: 0, total: 1 });
  assert.deepEqual(countsOf(second, viewers.body.id), { audienceId: viewers.body.id, realized: 0, existing: 1, exited: 0, total: 1 });
  ann = await server.api('GET', '/api/v1/profiles?identity=Email:ann@example.com');
  assert.equal(ann.body.segmentMembership.ups[gold.body.id].status, 'existing');
  assert.equal(ann.body.segmentMembership.ups[gold.body.id].lastQualificationTime, first.evaluatedAt, 'qualification time of the entry is kept');
  const cat = await server.api('GET', '/api/v1/profiles?identity=CRMID:c3');
  assert.equal(cat.body.segmentMembership.ups[gold.body.id].status, 'exited');
  const left = await server.api('GET', `/api/v1/audiences/${gold.body.id}/members?status=exited`);
  assert.deepEqual(left.body.items.map((m: { profileId: string; status: string }) => [m.profileId, m.status]), [[cat.body.profileId, 'exited']]);
  assert.deepEqual((await server.api('GET', `/api/v1/audiences/${gold.body.id}/members?status=realized`)).body.items, []);

  const history = await server.api('GET', `/api/v1/audiences/${gold.body.id}/size-history`);
  assert.deepEqual(history.body.jobs.map((p: { jobId: string; size: number }) => [p.jobId, p.size]), [[first.id, 2], [second.id, 1]]);
  assert.deepEqual(history.body.days.map((d: { size: number; realized: number; exited: number }) => [d.size, d.realized, d.exited]), [[1, 2, 0]]);

  const csv = await server.api('GET', `/api/v1/audiences/${gold.body.id}/members/export?format=csv`);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = (csv.body as string).trim().split('\n');
  assert.equal(lines[0], 'profileId,status,lastQualificationTime,identities');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /,existing,/);
  for (const identity of ['CRMID:c1', 'Email:ann@example.com', `ECID:${ECID}`]) assert.ok(lines[1].includes(identity), `${identity} in ${lines[1]}`);
  const exited = await fetch(`${server.url}/api/v1/audiences/${gold.body.id}/members/export?format=jsonl&status=exited`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  assert.equal(exited.headers.get('content-type'), 'application/x-ndjson');
  const rows = (await exited.text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 'exited');
  assert.ok(rows[0].identities.some((i: { namespace: string; id: string }) => i.namespace === 'CRMID' && i.id === 'c3'));

  const listed = await server.api('GET', '/api/v1/audiences/jobs?limit=1');
  assert.deepEqual(listed.body.items.map((j: { id: string }) => j.id), [second.id]);
  const older = await server.api('GET', `/api/v1/audiences/jobs?limit=1&cursor=${listed.body.next}`);
  assert.deepEqual(older.body.items.map((j: { id: string }) => j.id), [first.id]);

  const only = await runJob(server, { audienceIds: [both.body.id] });
  assert.deepEqual(only.audiences.map((a: { audienceId: string }) => a.audienceId), [both.body.id], 'only the asked audience; its inputs keep their memberships');
  assert.equal(countsOf(only, both.body.id)?.existing, 1);
  assertProblem(await server.api('POST', '/api/v1/audiences/jobs', { audienceIds: ['aud_missing'] }), 404, 'AUDIENCE_NOT_FOUND');

  // Nothing crosses sandboxes.
  await server.api('POST', '/api/v1/sandboxes', { name: 'dev' });
  const dev = await runJob(server, {}, 'dev');
  assert.equal(dev.profilesEvaluated, 0);
  assert.deepEqual(dev.audiences, []);
  assertProblem(await server.api('GET', `/api/v1/audiences/jobs/${first.id}`, undefined, { sandbox: 'dev' }), 404, 'AUDIENCE_JOB_NOT_FOUND');
  assert.deepEqual((await server.api('GET', '/api/v1/audiences/jobs', undefined, { sandbox: 'dev' })).body.items.map((j: { id: string }) => j.id), [dev.id]);
}

async function scheduleFlow(server: TestServer) {
  const initial = await server.api('GET', '/api/v1/audiences/schedule');
  assert.equal(initial.body.cron, '0 1 * * *');
  assert.equal(initial.body.enabled, true);
  assert.match(initial.body.nextRunAt, /T01:00:00\.000Z$/);
  const bad = await server.api('PUT', '/api/v1/audiences/schedule', { cron: 'every day please' });
  assertProblem(bad, 422, 'INVALID_SCHEDULE');
  assert.equal(bad.body.errors[0].path, 'cron');
  const set = await server.api('PUT', '/api/v1/audiences/schedule', { cron: '30 2 * * *' });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.match(set.body.nextRunAt, /T02:30:00\.000Z$/);
  const off = await server.api('PUT', '/api/v1/audiences/schedule', { cron: '30 2 * * *', enabled: false });
  assert.equal(off.body.enabled, false);
  assert.equal(off.body.nextRunAt, undefined);
  // Every second: a tick queues a job with trigger "schedule".
  const sandbox = 'schedules';
  await server.api('POST', '/api/v1/sandboxes', { name: sandbox });
  assert.equal((await server.api('PUT', '/api/v1/audiences/schedule', { cron: '* * * * * *' }, { sandbox })).status, 200);
  let scheduled: { id: string; trigger: string } | undefined;
  for (let i = 0; i < 200 && !scheduled; i++) {
    await new Promise((r) => setTimeout(r, 50));
    scheduled = (await server.api('GET', '/api/v1/audiences/jobs', undefined, { sandbox })).body.items.find((j: { trigger: string }) => j.trigger === 'schedule');
  }
  assert.ok(scheduled, 'the schedule queued a job');
  await server.api('PUT', '/api/v1/audiences/schedule', { cron: '* * * * * *', enabled: false }, { sandbox });
  assert.equal((await finished(server, scheduled.id, sandbox)).status, 'succeeded');
  assert.equal((await server.api('GET', '/api/v1/audiences/schedule', undefined, { sandbox: 'dev' })).body.cron, '0 1 * * *', 'schedules are per sandbox: dev keeps the default');
  assert.equal((await server.api('GET', '/api/v1/audiences/schedule')).body.enabled, false, "prod's own schedule is untouched");
}

test('a job a restart interrupted is marked failed and retried', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-jobs-'));
  try {
    let server = await startTestServer({}, dir);
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
    await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { crm: { crmId: 'c1' }, loyalty: { tier: 'gold' } });
    await server.api('GET', '/api/v1/profiles?identity=CRMID:c1');
    await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
    const sandboxId = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod').id;
    await server.stop({ keepData: true });

    // The state a crash leaves: a job recorded as running.
    const db = openSqlite(join(dir, 'meridian.db'));
    await new SqliteJobStore(db).put(sandboxId, {
      id: 'job_interrupted', status: 'processing', trigger: 'api', requestedAudienceIds: [], createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(), profilesEvaluated: 0, audiences: [], skipped: [],
    });
    db.close();

    server = await startTestServer({}, dir);
    try {
      const old = await server.api('GET', '/api/v1/audiences/jobs/job_interrupted');
      assert.equal(old.body.status, 'failed');
      const retryId = /retried as job (\S+)$/.exec(old.body.error)?.[1];
      assert.ok(retryId, old.body.error);
      const retry = await finished(server, retryId);
      assert.equal(retry.status, 'succeeded');
      assert.equal(retry.trigger, 'retry');
      assert.equal(retry.retryOf, 'job_interrupted');
      assert.equal(retry.audiences[0].realized, 1);
    } finally {
      await server.stop({ keepData: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function estimateFlow(server: TestServer) {
  const sandbox = 'estimates';
  await server.api('POST', '/api/v1/sandboxes', { name: sandbox });
  const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, { sandbox });
  const crm = await api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
  await api('POST', `/api/v1/ingest/${crm.body.id}`, Array.from({ length: 40 }, (_, i) => ({ crm: { crmId: `c${i}` }, loyalty: { tier: i % 4 === 0 ? 'gold' : 'silver' } })));
  const estimate = await api('POST', '/api/v1/audiences/estimate', { expression: pql('loyalty.tier = "gold"') });
  assert.equal(estimate.status, 200, JSON.stringify(estimate.body));
  assert.equal(estimate.body.sampleSize, 40);
  assert.equal(estimate.body.population, 40);
  assert.equal(estimate.body.exact, true, 'the sample held everyone');
  assert.equal(estimate.body.estimate, 10);
  assert.deepEqual(estimate.body.confidenceInterval, { low: 10, high: 10, level: 0.95 });
  assert.ok(estimate.body.elapsedMs < 1000);

  const sampled = await api('POST', '/api/v1/audiences/estimate', { expression: pql('loyalty.tier = "gold"'), sampleSize: 20 });
  assert.equal(sampled.body.sampleSize, 20);
  assert.equal(sampled.body.population, 40);
  assert.equal(sampled.body.exact, false);
  assert.ok(sampled.body.confidenceInterval.low <= sampled.body.estimate && sampled.body.estimate <= sampled.body.confidenceInterval.high);
  assert.ok(sampled.body.confidenceInterval.low < sampled.body.confidenceInterval.high);

  const saved = await api('POST', '/api/v1/audiences', { name: 'silver', expression: pql('loyalty.tier = "silver"') });
  assert.equal((await api('POST', '/api/v1/audiences/estimate', { audienceId: saved.body.id })).body.estimate, 30);

  const invalid = await api('POST', '/api/v1/audiences/estimate', { expression: pql('loyalty.tier = ') });
  assertProblem(invalid, 422, 'PQL_INVALID');
  assert.equal(invalid.body.errors[0].path, 'expression.value');
  assertProblem(await api('POST', '/api/v1/audiences/estimate', {}), 400, 'BAD_REQUEST');
}
