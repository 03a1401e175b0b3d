import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../testing/harness.ts';
import { runCli } from './spawn-cli.ts';

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'meridian-cli-ingest-'));
}

function ingest(server: TestServer, args: string[]) {
  return runCli(['ingest', ...args, '--url', server.url], { MERIDIAN_API_KEY: TEST_ADMIN_KEY });
}

test('a CSV with one bad row: the good rows land, the counts are printed and the rejected row can be downloaded', async () => {
  const server = await startTestServer();
  const dir = workDir();
  try {
    assert.equal((await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true })).status, 201);
    const csv = join(dir, 'customers.csv');
    writeFileSync(csv, 'id,email,tier,points\nC1,ada@example.com,gold,120\nC2,bea@example.com,silver,not-a-number\nC3,cy@example.com,bronze,5\n');
    const mapping = join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({ id: 'crm.crmId', email: 'personalEmail.address', tier: 'loyalty.tier', points: 'loyalty.points' }));

    const run = await ingest(server, [csv, '--dataset', 'crm', '--mapping', mapping]);
    assert.equal(run.code, 2, `partial batches exit 2\n${run.stderr}`);
    assert.match(run.stdout, /Batch bat_\w+: partial/);
    assert.match(run.stdout, /rows read\s+3\n/);
    assert.match(run.stdout, /accepted\s+2\n/);
    assert.match(run.stdout, /rejected\s+1\n/);
    const link = /(\/api\/v1\/batches\/(bat_\w+)\/rejections\.csv)/.exec(run.stdout);
    assert.ok(link, 'the output says where the rejected rows are');

    const rejections = await server.api('GET', link[1]);
    assert.equal(rejections.status, 200);
    assert.match(String(rejections.body), /loyalty\.points/);
    assert.equal((await server.api('GET', '/api/v1/datasets/crm')).body.recordCount, 2);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a JSON-lines file is recognised by its extension and loads completely (exit 0)', async () => {
  const server = await startTestServer();
  const dir = workDir();
  try {
    const dataset = await server.api('POST', '/api/v1/datasets', { name: 'web_events', schemaId: 'experience-event' });
    const file = join(dir, 'events.jsonl');
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ _id: `e${i}`, timestamp: '2026-11-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews' }));
    writeFileSync(file, `${lines.join('\n')}\n`);

    const run = await ingest(server, [file, '--dataset', dataset.body.id]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /: success/);
    assert.match(run.stdout, /accepted\s+50\n/);
    assert.ok(!run.stdout.includes('rejections.csv'), 'no download hint when nothing was rejected');
    assert.equal((await server.api('GET', `/api/v1/datasets/${dataset.body.id}`)).body.recordCount, 50);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ingest refusals name the problem: unknown dataset, unmapped columns, no key, unknown format', async () => {
  const server = await startTestServer();
  const dir = workDir();
  try {
    await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile' });
    const csv = join(dir, 'export.csv');
    writeFileSync(csv, 'customer_no,mail\n1,a@example.com\n');

    const noDataset = await ingest(server, [csv, '--dataset', 'nope']);
    assert.equal(noDataset.code, 1);
    assert.match(noDataset.stderr, /dataset nope does not exist.*\(DATASET_NOT_FOUND, HTTP 404\)/);

    const unmapped = await ingest(server, [csv, '--dataset', 'crm']);
    assert.equal(unmapped.code, 1);
    assert.match(unmapped.stderr, /customer_no.*INVALID_MAPPING/);
    assert.match(unmapped.stderr, /--mapping <file\.json>, or skip unknown ones with --ignore-unknown-columns/);

    const keyless = await runCli(['ingest', csv, '--dataset', 'crm', '--url', server.url]);
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /an API key is needed/);

    const unknownFormat = await ingest(server, [join(dir, 'export.xlsx'), '--dataset', 'crm']);
    assert.equal(unknownFormat.code, 1);
    assert.match(unknownFormat.stderr, /cannot tell the format of .*export\.xlsx/);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
