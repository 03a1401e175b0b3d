/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/**
 * "Acknowledged means durable": the real server runs as a child process and is killed with
 * SIGKILL, once right after its last acknowledgement and once with writes in flight. After a
 * restart on the same data directory every acknowledged record is there, and a request is
 * all-or-nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const ADMIN_KEY = 'mrd_durability_admin_key_0123456789';

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<void>;
}

let dataDir: string;
let port: number;
let current: Child | undefined;

async function startChild(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'meridian/loader', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MERIDIAN_PORT: String(port),
      MERIDIAN_HOST: '127.0.0.1',
      MERIDIAN_ADMIN_KEY: ADMIN_KEY,
      MERIDIAN_DATA_DIR: dataDir,
      MERIDIAN_LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited while starting: ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  current = { process: child, url, exited };
  return current;
}

async function kill(child: Child) {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

async function api(child: Child, method: string, path: string, body?: unknown) {
  const res = await fetch(child.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** Every `_id` stored in the dataset, read page by page through the API. */
async function storedIds(child: Child, datasetId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: number | undefined;
  for (;;) {
    const page = await api(child, 'GET', `/api/v1/datasets/${datasetId}/records?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    for (const record of page.body.items) ids.add(record._id);
    if (page.body.next === undefined) return ids;
    cursor = page.body.next;
  }
}

const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ _id: `${prefix}-${i}`, timestamp: '2026-11-01T10:00:00Z', web: { webPageDetails: { name: `page ${i}`, URL: `https://shop.example/${prefix}/${i}` } } }));

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'meridian-durability-'));
  port = await freePort();
});
after(async () => {
  if (current) await kill(current);
  rmSync(dataDir, { recursive: true, force: true });
});

test('acknowledged means durable: a SIGKILL after the last 2xx, or during writes, loses no acknowledged record', async () => {
  // ---- phase 1: 50 concurrent requests of 100 records, SIGKILL on the last acknowledgement
  let server = await startChild();
  const created = await api(server, 'POST', '/api/v1/datasets', { name: 'durable_events', schemaId: 'experience-event' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const datasetId: string = created.body.id;

  const REQUESTS = 50;
  const PER_REQUEST = 100;
  const acknowledged = new Set<string>();
  let acks = 0;
  const phase1 = server;
  await Promise.all(
    Array.from({ length: REQUESTS }, async (_, r) => {
      const res = await fetch(`${phase1.url}/api/v1/ingest/${datasetId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(records(`a${r}`, PER_REQUEST)),
      });
      const body = (await res.json()) as any;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.accepted, PER_REQUEST);
      for (const id of body.ids) acknowledged.add(id);
      // The kill goes out in the same tick as the last acknowledgement is read.
      if (++acks === REQUESTS) phase1.process.kill('SIGKILL');
    }),
  );
  await kill(phase1);
  assert.equal(phase1.process.signalCode, 'SIGKILL');
  assert.equal(acknowledged.size, REQUESTS * PER_REQUEST);

  server = await startChild();
  const info = await api(server, 'GET', `/api/v1/datasets/${datasetId}`);
  assert.equal(info.status, 200);
  assert.equal(info.body.recordCount, REQUESTS * PER_REQUEST, 'every acknowledged record is counted after the restart');
  const afterPhase1 = await storedIds(server, datasetId);
  const lost1 = [...acknowledged].filter((id) => !afterPhase1.has(id));
  assert.deepEqual(lost1.slice(0, 10), [], `${lost1.length} acknowledged records lost`);

  // ---- phase 2: a steady stream of writes, SIGKILL while some are in flight
  const phase2 = server;
  const sentBatches: string[][] = [];
  const ackedBatches = new Set<number>();
  let killed = false;
  let inFlightAtKill = 0;
  let inFlight = 0;
  const KILL_AFTER = 30;
  const writer = async (w: number) => {
    for (let n = 0; !killed; n++) {
      const batch = records(`b${w}-${n}`, 50);
      const index = sentBatches.push(batch.map((x) => x._id)) - 1;
      inFlight++;
      try {
        const res = await fetch(`${phase2.url}/api/v1/ingest/${datasetId}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        const body = (await res.json()) as any;
        assert.equal(res.status, 200, JSON.stringify(body));
        ackedBatches.add(index);
        if (ackedBatches.size === KILL_AFTER && !killed) {
          killed = true;
          inFlightAtKill = inFlight - 1;
          phase2.process.kill('SIGKILL');
        }
      } catch (err) {
        if (!killed) throw err; // before the kill every write must succeed
        return; // the connection died with the server: not acknowledged
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
  await kill(phase2);
  assert.ok(inFlightAtKill > 0, 'some writes were in flight at the kill');

  server = await startChild();
  const afterPhase2 = await storedIds(server, datasetId);
  const lost2 = [...ackedBatches].flatMap((i) => sentBatches[i]).filter((id) => !afterPhase2.has(id));
  assert.deepEqual(lost2.slice(0, 10), [], `${lost2.length} acknowledged records lost with writes in flight`);
  const lostEarlier = [...acknowledged].filter((id) => !afterPhase2.has(id));
  assert.deepEqual(lostEarlier.slice(0, 10), [], 'records of the first phase survive the second kill');
  for (const [i, ids] of sentBatches.entries()) {
    const present = ids.filter((id) => afterPhase2.has(id)).length;
    assert.ok(present === 0 || present === ids.length, `request ${i} is all or nothing (${present} of ${ids.length} stored)`);
  }
  const count = await api(server, 'GET', `/api/v1/datasets/${datasetId}`);
  assert.equal(count.body.recordCount, afterPhase2.size);
  await kill(server);
});
