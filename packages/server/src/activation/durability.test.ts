/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/**
 * "A kill -9 mid-run loses nothing": the real server runs as a child process, its outbox holds
 * membership changes a slow destination is still receiving, and it is killed with SIGKILL. After a
 * restart on the same data directory the run resumes and every change reaches the destination.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeDestination, person, pql, type FakeDestination } from './test-support.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const ADMIN_KEY = 'mrd_activation_durability_key_0123456789';
const PEOPLE = 40;

let dataDir: string;
let port: number;
let child: { process: ChildProcess; exited: Promise<void> } | undefined;
let hook: FakeDestination;

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function start() {
  const proc = spawn(process.execPath, ['--import', 'meridian/loader', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, MERIDIAN_PORT: String(port), MERIDIAN_HOST: '127.0.0.1', MERIDIAN_ADMIN_KEY: ADMIN_KEY, MERIDIAN_DATA_DIR: dataDir, MERIDIAN_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  child = { process: proc, exited };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the server exited while starting: ${stderr}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not become healthy: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kill() {
  if (!child) return;
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
  child = undefined;
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'meridian-activation-durability-'));
  port = await freePort();
  hook = await fakeDestination();
});
after(async () => {
  await kill();
  await hook.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a SIGKILL while a run is delivering loses no membership change: after a restart the run resumes', async () => {
  // A slow destination: 150 ms per call, so the kill lands with most of the outbox still waiting.
  hook.respond(() => new Promise<number>((r) => setTimeout(() => r(200), 150)));
  await start();
  const crm = await api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true });
  const gold = await api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
  const destination = await api('POST', '/api/v1/destinations', { name: 'slow', type: 'webhook', settings: { url: hook.url } });
  const activation = await api('POST', '/api/v1/activations', {
    name: 'gold', destinationId: destination.body.id, audienceIds: [gold.body.id], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  const id = activation.body.id as string;

  const ingested = await api('POST', `/api/v1/ingest/${crm.body.id}`, Array.from({ length: PEOPLE }, (_, i) => person(i + 1)));
  assert.equal(ingested.status, 200, JSON.stringify(ingested.body));
  // Kill once every change is in the outbox and some, not all, have been delivered.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const stats = (await api('GET', `/api/v1/activations/${id}`)).body.stats;
    if (stats.pending + stats.delivered >= PEOPLE && stats.delivered >= 4) {
      assert.ok(stats.pending > 0, `killed mid-run (${stats.pending} pending)`);
      break;
    }
    if (Date.now() > deadline) throw new Error(`the outbox never filled: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await kill();
  const beforeRestart = new Set(hook.accepted().map((r) => r.json.identityMap.CRMID[0].id));
  assert.ok(beforeRestart.size < PEOPLE, `${beforeRestart.size} delivered before the kill`);

  hook.respond(200);
  await start();
  await hook.waitFor((r) => new Set(r.filter((x) => x.status === 200).map((x) => x.json.identityMap.CRMID[0].id)).size === PEOPLE, 30_000);
  const ids = new Set(hook.accepted().map((r) => r.json.identityMap.CRMID[0].id));
  assert.equal(ids.size, PEOPLE, 'every person reached the destination');
  // At-least-once: a call in flight at the kill may come again, with the same idempotency key.
  const keys = hook.accepted().map((r) => r.headers['idempotency-key']);
  assert.equal(new Set(keys).size, PEOPLE, 'one idempotency key per change, whatever was resent');
  const deadline2 = Date.now() + 10_000;
  let stats: any;
  do {
    stats = (await api('GET', `/api/v1/activations/${id}`)).body.stats;
    if (stats.pending === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline2);
  assert.equal(stats.pending, 0);
  assert.equal(stats.deadLetters, 0);
  await kill();
});
