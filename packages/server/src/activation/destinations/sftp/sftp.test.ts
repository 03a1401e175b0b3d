/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../../../testing/harness.ts';
import { goldAudience, ingest, person } from '../../test-support.ts';
import { SSHD, startSshd, type TestSshd } from './test-sshd.ts';

const skip = SSHD ? false : 'openssh-server is not installed (/usr/sbin/sshd missing): apt-get install openssh-server';
let server: TestServer;
let sshd: TestSshd;
let audienceId: string;
const PEOPLE = 12;

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  server = await startTestServer();
  server.running.platform.activations.tune({ backoff: { baseMs: 20, maxMs: 100, maxAttempts: 3 }, timeoutMs: 2000 });
  const setup = await goldAudience(server);
  audienceId = setup.audienceId;
  await ingest(server, setup.datasetId, [...Array.from({ length: PEOPLE }, (_, i) => person(i + 1)), person(900, 'silver')]);
  await server.running.platform.settleProfiles();
});
after(async () => {
  if (skip) return;
  await server.stop();
  await sshd.stop();
});

function settings(extra: Record<string, unknown> = {}) {
  return { host: '127.0.0.1', port: sshd.port, username: sshd.username, auth: { type: 'privateKey', privateKey: sshd.clientKey }, folder: join(sshd.root, 'exports/daily'), format: 'csv', ...extra };
}

/** A destination and a batch `once` activation; waits for the run and returns it. */
async function exportOnce(name: string, destinationSettings: Record<string, unknown>) {
  const destination = await server.api('POST', '/api/v1/destinations', { name, type: 'sftp', settings: destinationSettings });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const activation = await server.api('POST', '/api/v1/activations', {
    name,
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'loyalty.points', destination: 'points' },
    ],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'batch', frequency: 'once' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await server.running.platform.activations.idle();
  const runs = await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`);
  return { run: runs.body.items[0], destination: destination.body };
}

test('an audience file is uploaded over SFTP with a private key (host key pinned), named like the suite, and renamed into place', { skip }, async () => {
  const { run, destination } = await exportOnce('Partner Drop', settings({ hostKeyFingerprint: sshd.hostFingerprint, delimiter: ';' }));
  assert.equal(destination.settings.auth.privateKey, '********', 'the key is never returned');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  assert.equal(run.files.length, 1);
  const folder = join(sshd.root, 'exports/daily');
  const names = readdirSync(folder);
  assert.equal(names.length, 1, `only the finished file, no temporary part: ${names.join(', ')}`);
  assert.match(names[0], new RegExp(`^Partner_Drop_segment${audienceId}_\\d{14}\\.csv$`));
  assert.equal(run.files[0], `sftp://${sshd.username}@127.0.0.1:${sshd.port}${join(folder, names[0])}`);
  const lines = readFileSync(join(folder, names[0]), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'Email;firstName;points;segmentMembershipStatus');
  assert.equal(lines.length, PEOPLE + 1, 'a header and one row per member (the silver person is not in it)');
  assert.ok(lines.includes('person3@example.com;First3;30;realized'));
  assert.deepEqual(readdirSync(join(server.dataDir, 'exports', '.staging')), [], 'local staging copies are removed');
});

test('gzipped JSON lines split at the row limit arrive as name, name_2, ... with every member once', { skip }, async () => {
  const { run } = await exportOnce('split', settings({ folder: join(sshd.root, 'jsonl'), format: 'jsonl', gzip: true, maxRowsPerFile: 5, fileName: '%SANDBOX_NAME%_%SEGMENT_NAME%_%DATETIME%' }));
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const names = readdirSync(join(sshd.root, 'jsonl')).sort();
  assert.equal(names.length, 3);
  assert.match(names[0], /^prod_gold_\d{14}\.jsonl\.gz$/);
  assert.match(names[1], /^prod_gold_\d{14}_2\.jsonl\.gz$/);
  const rows = names.flatMap((n) => gunzipSync(readFileSync(join(sshd.root, 'jsonl', n))).toString().trim().split('\n').map((l) => JSON.parse(l)));
  assert.equal(new Set(rows.map((r) => r.Email)).size, PEOPLE);
});

test('a refused login (a key the server does not know) is a permanent failure: no retries, the run fails, counted as a dead letter', { skip }, async () => {
  const { run } = await exportOnce('stranger', settings({ auth: { type: 'privateKey', privateKey: sshd.strangerKey }, folder: join(sshd.root, 'never') }));
  assert.equal(run.status, 'failed', JSON.stringify(run));
  assert.equal(run.failed, 1);
  assert.equal(run.retries, 0, 'a refused login is not retried');
  assert.match(run.lastError, /login refused/);
  assert.equal(existsSync(join(sshd.root, 'never')), false);
  const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /meridian_activation_dead_letters_total\{type="sftp"\} [1-9]/);
});

test('a wrong password and an unexpected host key are refused; an unreachable server is retried', { skip }, async () => {
  const password = await exportOnce('password', settings({ auth: { type: 'password', password: 'not-the-password' }, folder: join(sshd.root, 'never') }));
  assert.equal(password.run.status, 'failed');
  assert.match(password.run.lastError, /login refused/);
  const pinned = await exportOnce('pinned', settings({ hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` }));
  assert.equal(pinned.run.status, 'failed');
  assert.equal(pinned.run.retries, 0);
  assert.match(pinned.run.lastError, /host key/);
  const closed = await exportOnce('closed', settings({ port: 1 }));
  assert.equal(closed.run.status, 'failed');
  assert.equal(closed.run.retries, 2, 'network failures are retried (3 attempts in this test\'s tuning)');
  assert.match(closed.run.lastError, /ECONNREFUSED/);
});

test('bad SFTP settings are refused naming the field', { skip }, async () => {
  const cases: [Record<string, unknown>, string][] = [
    [settings({ auth: { type: 'privateKey', privateKey: 'not a key' } }), 'settings.auth.privateKey'],
    [settings({ folder: 'drop/../../etc' }), 'settings.folder'],
    [settings({ folder: '~/drop' }), 'settings.folder'],
    [settings({ format: 'parquet', gzip: true }), 'settings.gzip'],
    [settings({ port: 70000 }), 'settings.port'],
    [settings({ hostKeyFingerprint: 'md5:ab' }), 'settings.hostKeyFingerprint'],
  ];
  for (const [bad, path] of cases) {
    const res = await server.api('POST', '/api/v1/destinations', { name: 'bad', type: 'sftp', settings: bad });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.code, 'INVALID_DESTINATION_SETTINGS');
    assert.equal(res.body.errors[0].path, path, JSON.stringify(res.body.errors));
  }
});
