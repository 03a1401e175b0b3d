/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/**
 * Tenancy promises, through the real server: every admin call needs a key with a role, keys are
 * kept hashed, sandboxes never see each other's data, and every admin change is audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertProblem, startTestServer, TEST_ADMIN_KEY, type ApiResponse, type TestServer } from '../testing/harness.ts';

async function createKey(server: TestServer, role: string, sandboxes?: string[]): Promise<{ id: string; secret: string }> {
  const res = await server.api('POST', '/api/v1/api-keys', { name: `${role} key`, role, ...(sandboxes ? { sandboxes } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.key.id, secret: res.body.secret };
}

async function createSandbox(server: TestServer, name: string) {
  const res = await server.api('POST', '/api/v1/sandboxes', { name });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; name: string };
}

async function createDataset(server: TestServer, name: string, sandbox?: string) {
  const res = await server.api('POST', '/api/v1/datasets', { name, schemaId: 'experience-event' }, sandbox ? { sandbox } : {});
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; name: string };
}

/** One server for the promises that do not restart it; each test makes its own objects. */
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

const event = (id: string) => ({ _id: id, timestamp: '2026-11-01T10:00:00Z', web: { webPageDetails: { name: id } } });

describe('API keys and roles', () => {

  test('an admin call without an API key is refused with 401 problem+json carrying a code', async () => {
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: null }), 401, 'UNAUTHORIZED');
    assertProblem(await server.api('GET', '/api/v1/sandboxes', undefined, { key: null }), 401, 'UNAUTHORIZED');
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'UNAUTHORIZED');
  });

  test('an unknown key is refused with 401', async () => {
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: 'mrd_not_a_real_key_at_all' }), 401, 'UNAUTHORIZED');
  });

  test('a revoked key is refused with 401 from the next call on', async () => {
    const key = await createKey(server, 'editor');
    assert.equal((await server.api('GET', '/api/v1/datasets', undefined, { key: key.secret })).status, 200);
    const revoked = await server.api('DELETE', `/api/v1/api-keys/${key.id}`);
    assert.equal(revoked.status, 204);
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: key.secret }), 401, 'UNAUTHORIZED');
    assertProblem(await server.api('DELETE', `/api/v1/api-keys/${key.id}`), 404, 'API_KEY_NOT_FOUND');
    const listed = await server.api('GET', '/api/v1/api-keys');
    assert.ok(listed.body.items.find((k: any) => k.id === key.id).revokedAt, 'the key is listed as revoked');
  });

  test('a viewer key reads but cannot write (403 FORBIDDEN)', async () => {
    const viewer = await createKey(server, 'viewer');
    assert.equal((await server.api('GET', '/api/v1/datasets', undefined, { key: viewer.secret })).status, 200);
    assert.equal((await server.api('GET', '/api/v1/schemas', undefined, { key: viewer.secret })).status, 200);
    assertProblem(await server.api('POST', '/api/v1/datasets', { name: 'viewer_made', schemaId: 'experience-event' }, { key: viewer.secret }), 403, 'FORBIDDEN');
    assertProblem(await server.api('POST', '/api/v1/schemas', { name: 'viewerSchema', class: 'profile' }, { key: viewer.secret }), 403, 'FORBIDDEN');
    const ds = await createDataset(server, 'viewer_target');
    assertProblem(await server.api('POST', `/api/v1/ingest/${ds.id}`, event('v1'), { key: viewer.secret }), 403, 'FORBIDDEN');
    assertProblem(await server.api('DELETE', `/api/v1/datasets/${ds.id}`, undefined, { key: viewer.secret }), 403, 'FORBIDDEN');
    assertProblem(await server.api('POST', '/api/v1/api-keys', { name: 'x', role: 'admin' }, { key: viewer.secret }), 403, 'FORBIDDEN');
    const after = await server.api('GET', `/api/v1/datasets/${ds.id}`);
    assert.equal(after.body.recordCount, 0, 'nothing the viewer tried was written');
  });

  test('an ingest-only key can send records and do nothing else', async () => {
    const ingest = await createKey(server, 'ingest');
    const ds = await createDataset(server, 'ingest_only_target');
    const sent = await server.api('POST', `/api/v1/ingest/${ds.id}`, [event('i1'), event('i2')], { key: ingest.secret });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.accepted, 2);
    for (const [method, path, body] of [
      ['GET', '/api/v1/datasets'],
      ['GET', `/api/v1/datasets/${ds.id}`],
      ['GET', `/api/v1/datasets/${ds.id}/records`],
      ['GET', '/api/v1/schemas'],
      ['POST', '/api/v1/datasets', { name: 'nope', schemaId: 'experience-event' }],
      ['GET', '/api/v1/sandboxes'],
      ['GET', '/api/v1/audit'],
    ] as [string, string, unknown?][]) {
      assertProblem(await server.api(method, path, body, { key: ingest.secret }), 403, 'FORBIDDEN');
    }
  });

  test('an editor key works with data but cannot manage keys or sandboxes', async () => {
    const editor = await createKey(server, 'editor');
    const made = await server.api('POST', '/api/v1/datasets', { name: 'editor_made', schemaId: 'experience-event' }, { key: editor.secret });
    assert.equal(made.status, 201);
    assertProblem(await server.api('POST', '/api/v1/api-keys', { name: 'escalate', role: 'admin' }, { key: editor.secret }), 403, 'FORBIDDEN');
    assertProblem(await server.api('POST', '/api/v1/sandboxes', { name: 'editor-sbx' }, { key: editor.secret }), 403, 'FORBIDDEN');
    assertProblem(await server.api('GET', '/api/v1/audit', undefined, { key: editor.secret }), 403, 'FORBIDDEN');
  });

  test('a key for an unknown sandbox cannot be created', async () => {
    assertProblem(await server.api('POST', '/api/v1/api-keys', { name: 'ghost', role: 'viewer', sandboxes: ['ghost'] }), 404, 'SANDBOX_NOT_FOUND');
  });
});

describe('sandboxes', () => {
  before(() => createSandbox(server, 'dev'));

  test('a key limited to sandbox dev gets 403 SANDBOX_FORBIDDEN on prod, and works in dev', async () => {
    const devOnly = await createKey(server, 'editor', ['dev']);
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: devOnly.secret }), 403, 'SANDBOX_FORBIDDEN');
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: devOnly.secret, sandbox: 'prod' }), 403, 'SANDBOX_FORBIDDEN');
    assert.equal((await server.api('GET', '/api/v1/datasets', undefined, { key: devOnly.secret, sandbox: 'dev' })).status, 200);
    const listed = await server.api('GET', '/api/v1/sandboxes', undefined, { key: devOnly.secret });
    assert.deepEqual(listed.body.items.map((s: any) => s.name), ['dev'], 'it does not even see that prod exists');
  });

  test('a key limited to one sandbox cannot act on the organization (other sandboxes, new keys)', async () => {
    await createSandbox(server, 'staging');
    const devAdmin = await createKey(server, 'admin', ['dev']);
    assert.equal((await server.api('GET', '/api/v1/audit', undefined, { key: devAdmin.secret, sandbox: 'dev' })).status, 200);
    const deleted = await server.api('DELETE', '/api/v1/sandboxes/staging', undefined, { key: devAdmin.secret });
    assert.ok(deleted.status === 403, `a dev-only key must not delete sandbox staging (got ${deleted.status})`);
    const minted = await server.api('POST', '/api/v1/api-keys', { name: 'escalated', role: 'admin' }, { key: devAdmin.secret });
    assert.equal(minted.status, 403, 'a dev-only key must not mint a key for every sandbox');
    const listed = await server.api('GET', '/api/v1/sandboxes');
    assert.ok(listed.body.items.some((s: any) => s.name === 'staging'), 'staging still exists');
  });

  test('an unknown sandbox answers 404 SANDBOX_NOT_FOUND', async () => {
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { sandbox: 'nowhere' }), 404, 'SANDBOX_NOT_FOUND');
    assertProblem(await server.api('DELETE', '/api/v1/sandboxes/nowhere'), 404, 'SANDBOX_NOT_FOUND');
  });

  test('a sandbox name is unique', async () => {
    assertProblem(await server.api('POST', '/api/v1/sandboxes', { name: 'dev' }), 409, 'NAME_TAKEN');
  });

  test('prod cannot be deleted', async () => {
    assertProblem(await server.api('DELETE', '/api/v1/sandboxes/prod'), 409, 'CONFLICT');
    assert.equal((await server.api('GET', '/api/v1/datasets', undefined, { sandbox: 'prod' })).status, 200);
  });

  test('data of one sandbox is never visible from another (datasets, schemas, records, rejections, audit)', async () => {
    const blue = await createSandbox(server, 'blue');
    const green = await createSandbox(server, 'green');
    assert.notEqual(blue.id, green.id);
    const schema = await server.api('POST', '/api/v1/schemas', { name: 'blueOnly', class: 'profile', fields: { secret: { type: 'string' } } }, { sandbox: 'blue' });
    assert.equal(schema.status, 201, JSON.stringify(schema.body));
    const ds = await createDataset(server, 'blue_events', 'blue');
    const sent = await server.api('POST', `/api/v1/ingest/${ds.id}`, [event('b1'), { _id: 'bad', timestamp: 'never' }], { sandbox: 'blue' });
    assert.equal(sent.status, 207);

    // green: nothing of blue, by id or by name
    const gDatasets = await server.api('GET', '/api/v1/datasets', undefined, { sandbox: 'green' });
    assert.deepEqual(gDatasets.body.items, []);
    const gSchemas = await server.api('GET', '/api/v1/schemas', undefined, { sandbox: 'green' });
    assert.ok(!gSchemas.body.items.some((s: any) => s.name === 'blueOnly'));
    for (const ref of [ds.id, ds.name]) {
      assertProblem(await server.api('GET', `/api/v1/datasets/${ref}`, undefined, { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
      assertProblem(await server.api('GET', `/api/v1/datasets/${ref}/records`, undefined, { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
      assertProblem(await server.api('GET', `/api/v1/datasets/${ref}/rejections`, undefined, { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
      assertProblem(await server.api('POST', `/api/v1/ingest/${ref}`, event('g1'), { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
      assertProblem(await server.api('DELETE', `/api/v1/datasets/${ref}`, undefined, { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
      assertProblem(await server.api('PATCH', `/api/v1/datasets/${ref}`, { description: 'hijack' }, { sandbox: 'green' }), 404, 'DATASET_NOT_FOUND');
    }
    for (const ref of [schema.body.id, 'blueOnly']) {
      assertProblem(await server.api('GET', `/api/v1/schemas/${ref}`, undefined, { sandbox: 'green' }), 404, 'SCHEMA_NOT_FOUND');
      assertProblem(await server.api('DELETE', `/api/v1/schemas/${ref}`, undefined, { sandbox: 'green' }), 404, 'SCHEMA_NOT_FOUND');
      assertProblem(await server.api('POST', '/api/v1/datasets', { name: 'borrow', schemaId: ref }, { sandbox: 'green' }), 404, 'SCHEMA_NOT_FOUND');
    }
    const gAudit = await server.api('GET', '/api/v1/audit', undefined, { sandbox: 'green' });
    const leaked = gAudit.body.items.filter((e: any) => e.sandbox === 'blue' || e.resourceId === ds.id || e.resourceId === schema.body.id);
    assert.deepEqual(leaked, [], 'green audit shows nothing of blue');

    // blue: everything is still there and untouched
    const bInfo = await server.api('GET', `/api/v1/datasets/${ds.id}`, undefined, { sandbox: 'blue' });
    assert.equal(bInfo.body.recordCount, 1);
    assert.equal(bInfo.body.description, undefined);
    const bRej = await server.api('GET', `/api/v1/datasets/${ds.id}/rejections`, undefined, { sandbox: 'blue' });
    assert.equal(bRej.body.items.length, 1);
    const bAudit = await server.api('GET', '/api/v1/audit', undefined, { sandbox: 'blue' });
    assert.ok(bAudit.body.items.some((e: any) => e.action === 'dataset.create' && e.resourceId === ds.id));
  });

  test('the same dataset name and record ids may live in two sandboxes without touching each other', async () => {
    await createSandbox(server, 'left');
    await createSandbox(server, 'right');
    const l = await createDataset(server, 'shared_name', 'left');
    const r = await createDataset(server, 'shared_name', 'right');
    await server.api('POST', `/api/v1/ingest/${l.id}`, [event('same'), event('only-left')], { sandbox: 'left' });
    const rSent = await server.api('POST', `/api/v1/ingest/${r.id}`, event('same'), { sandbox: 'right' });
    assert.equal(rSent.body.accepted, 1, 'an _id seen in another sandbox is not a duplicate here');
    const rRecords = await server.api('GET', '/api/v1/datasets/shared_name/records', undefined, { sandbox: 'right' });
    assert.deepEqual(rRecords.body.items.map((x: any) => x._id), ['same']);
  });

  test('deleting a sandbox removes its datasets, schemas and records', async () => {
    const doomed = await createSandbox(server, 'doomed');
    await server.api('POST', '/api/v1/schemas', { name: 'doomedSchema', class: 'profile', fields: { x: { type: 'string' } } }, { sandbox: 'doomed' });
    const ds = await createDataset(server, 'doomed_events', 'doomed');
    await server.api('POST', `/api/v1/ingest/${ds.id}`, [event('d1'), event('d2'), { _id: 'bad', timestamp: 1 }], { sandbox: 'doomed' });
    const keep = await createDataset(server, 'kept_events');
    await server.api('POST', `/api/v1/ingest/${keep.id}`, [event('k1')]);

    assert.equal((await server.api('DELETE', '/api/v1/sandboxes/doomed')).status, 204);
    assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { sandbox: 'doomed' }), 404, 'SANDBOX_NOT_FOUND');

    const { db, recordsDb } = server.running.platform;
    const count = (sql: string, from = db) => (from.prepare(sql).get(doomed.id) as { n: number }).n;
    assert.equal(count('SELECT count(*) AS n FROM records WHERE sandbox_id = ?', recordsDb), 0);
    assert.equal(count('SELECT count(*) AS n FROM rejected_records WHERE sandbox_id = ?', recordsDb), 0);
    assert.equal(count('SELECT count(*) AS n FROM datasets WHERE sandbox_id = ?'), 0);
    assert.equal(count('SELECT count(*) AS n FROM schemas WHERE sandbox_id = ?'), 0);

    // a new sandbox of the same name starts empty, with only the standard schemas
    await createSandbox(server, 'doomed');
    const datasets = await server.api('GET', '/api/v1/datasets', undefined, { sandbox: 'doomed' });
    assert.deepEqual(datasets.body.items, []);
    const schemas = await server.api('GET', '/api/v1/schemas', undefined, { sandbox: 'doomed' });
    assert.deepEqual(schemas.body.items.map((s: any) => s.name).sort(), ['experience-event', 'profile']);
    assertProblem(await server.api('GET', `/api/v1/datasets/${ds.id}`, undefined, { sandbox: 'doomed' }), 404, 'DATASET_NOT_FOUND');
    const audit = await server.api('GET', '/api/v1/audit', undefined, { sandbox: 'doomed' });
    assert.deepEqual(audit.body.items.filter((e: any) => e.sandbox === 'doomed'), [], 'the audit of the old sandbox does not show in its namesake');

    const kept = await server.api('GET', `/api/v1/datasets/${keep.id}`);
    assert.equal(kept.body.recordCount, 1, 'other sandboxes keep their records');
  });
});

test('a key limited to a deleted sandbox does not get a new sandbox of the same name', async () => {
  await createSandbox(server, 'gone');
  await createSandbox(server, 'kept');
  const only = await createKey(server, 'editor', ['gone']);
  const both = await createKey(server, 'editor', ['gone', 'kept']);
  assert.equal((await server.api('DELETE', '/api/v1/sandboxes/gone')).status, 204);
  await createSandbox(server, 'gone');
  assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: only.secret, sandbox: 'gone' }), 401, 'UNAUTHORIZED');
  assertProblem(await server.api('GET', '/api/v1/datasets', undefined, { key: both.secret, sandbox: 'gone' }), 403, 'SANDBOX_FORBIDDEN');
  assert.equal((await server.api('GET', '/api/v1/datasets', undefined, { key: both.secret, sandbox: 'kept' })).status, 200);
});

describe('audit log', () => {

  test('the audit log records who, what and when for key, sandbox, schema and dataset changes', async () => {
    const started = Date.now() - 1000;
    const admins = await server.api('GET', '/api/v1/api-keys');
    const adminKeyId = admins.body.items.find((k: any) => k.role === 'admin').id;

    const editor = await createKey(server, 'editor');
    await server.api('DELETE', `/api/v1/api-keys/${editor.id}`);
    const sbx = await createSandbox(server, 'audited');
    await server.api('DELETE', '/api/v1/sandboxes/audited');

    const editor2 = await createKey(server, 'editor');
    const schema = await server.api('POST', '/api/v1/schemas', { name: 'loyaltyX', class: 'profile', fieldGroups: ['loyalty'] }, { key: editor2.secret });
    assert.equal(schema.status, 201);
    await server.api('PUT', `/api/v1/schemas/${schema.body.id}`, { name: 'loyaltyX', class: 'profile', fieldGroups: ['loyalty', 'person'] }, { key: editor2.secret });
    const ds = await server.api('POST', '/api/v1/datasets', { name: 'audited_ds', schemaId: schema.body.id }, { key: editor2.secret });
    await server.api('PATCH', `/api/v1/datasets/${ds.body.id}`, { description: 'changed' }, { key: editor2.secret });
    await server.api('DELETE', `/api/v1/datasets/${ds.body.id}`, undefined, { key: editor2.secret });
    await server.api('DELETE', `/api/v1/schemas/${schema.body.id}`, undefined, { key: editor2.secret });

    const log = await server.api('GET', '/api/v1/audit?limit=1000');
    assert.equal(log.status, 200);
    const items = log.body.items as any[];
    const find = (action: string, resourceId: string) => {
      const entry = items.find((e) => e.action === action && e.resourceId === resourceId);
      assert.ok(entry, `audit has ${action} of ${resourceId}: ${JSON.stringify(items.map((e) => `${e.action}:${e.resourceId}`))}`);
      const at = Date.parse(entry.at);
      assert.ok(at >= started && at <= Date.now() + 1000, `${action} has a time`);
      return entry;
    };
    assert.equal(find('apiKey.create', editor.id).actor, adminKeyId);
    assert.equal(find('apiKey.revoke', editor.id).actor, adminKeyId);
    assert.equal(find('sandbox.create', sbx.id).actor, adminKeyId);
    assert.equal(find('sandbox.delete', sbx.id).actor, adminKeyId);
    for (const [action, id] of [
      ['schema.create', schema.body.id],
      ['schema.update', schema.body.id],
      ['schema.delete', schema.body.id],
      ['dataset.create', ds.body.id],
      ['dataset.update', ds.body.id],
      ['dataset.delete', ds.body.id],
    ]) {
      const entry = find(action, id);
      assert.equal(entry.actor, editor2.id, `${action} names the key that did it`);
      assert.equal(entry.sandbox, 'prod');
    }
    // newest first, and paging goes backwards in time
    const ids = items.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    const page1 = await server.api('GET', '/api/v1/audit?limit=2');
    const page2 = await server.api('GET', `/api/v1/audit?limit=2&cursor=${page1.body.next}`);
    assert.equal(page1.body.items.length, 2);
    assert.ok(page2.body.items.every((e: any) => e.id < page1.body.next));
  });

  test('a key limited to a sandbox sees only that sandbox in the audit log', async () => {
    await createSandbox(server, 'own');
    const ownAdmin = await createKey(server, 'admin', ['own']);
    await server.api('POST', '/api/v1/datasets', { name: 'own_ds', schemaId: 'experience-event' }, { key: ownAdmin.secret, sandbox: 'own' });
    const log = await server.api('GET', '/api/v1/audit', undefined, { key: ownAdmin.secret, sandbox: 'own' });
    assert.equal(log.status, 200);
    assert.ok(log.body.items.length > 0);
    assert.ok(log.body.items.every((e: any) => e.sandbox === 'own'), JSON.stringify(log.body.items));
  });
});

describe('keys at rest and bootstrap', () => {
  test('API key secrets are stored hashed: the secret never appears in the data files', async () => {
    const { secret } = await createKey(server, 'viewer');
    const db = server.running.platform.db;
    const row = db.prepare('SELECT hash, prefix FROM api_keys WHERE hash = ?').get(createHash('sha256').update(secret).digest('hex')) as { hash: string; prefix: string } | undefined;
    assert.ok(row, 'the key is found by the hash of its secret');
    assert.ok(secret.startsWith(row.prefix) && row.prefix.length < secret.length / 2, 'only a short prefix is kept in clear');
    db.pragma('wal_checkpoint(PASSIVE)');
    let scanned = 0;
    for (const name of readdirSync(server.dataDir, { recursive: true, encoding: 'utf8' })) {
      const path = join(server.dataDir, name);
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      scanned += bytes.length;
      assert.equal(bytes.includes(Buffer.from(secret)), false, `${name} holds a key secret`);
      assert.equal(bytes.includes(Buffer.from(TEST_ADMIN_KEY)), false, `${name} holds the admin key`);
    }
    assert.ok(scanned > 0, 'the data files were read');
  });

  test('bootstrap with MERIDIAN_ADMIN_KEY is idempotent across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-boot-'));
    try {
      for (let start = 0; start < 2; start++) {
        const server = await startTestServer({}, dir);
        try {
          assert.equal(server.running.adminKey, undefined, 'no key is generated or printed when one is given');
          const keys = await server.api('GET', '/api/v1/api-keys');
          assert.equal(keys.status, 200);
          assert.equal(keys.body.items.length, 1, `start ${start + 1}: exactly one key`);
          assert.equal(keys.body.items[0].role, 'admin');
          const sandboxes = await server.api('GET', '/api/v1/sandboxes');
          assert.deepEqual(sandboxes.body.items.map((s: any) => s.name), ['prod']);
          const schemas = await server.api('GET', '/api/v1/schemas');
          assert.deepEqual(schemas.body.items.map((s: any) => s.name).sort(), ['experience-event', 'profile']);
          const db = server.running.platform.db;
          assert.equal((db.prepare('SELECT count(*) AS n FROM organizations').get() as { n: number }).n, 1);
        } finally {
          await server.stop();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without MERIDIAN_ADMIN_KEY an admin key is generated on the first start only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-boot-'));
    try {
      const first = await startTestServer({ MERIDIAN_ADMIN_KEY: '' }, dir);
      let generated: string;
      try {
        generated = first.running.adminKey ?? '';
        assert.match(generated, /^mrd_/);
        assertProblem(await first.api('GET', '/api/v1/datasets'), 401, 'UNAUTHORIZED');
        assert.equal((await first.api('GET', '/api/v1/datasets', undefined, { key: generated })).status, 200);
      } finally {
        await first.stop();
      }
      const second = await startTestServer({ MERIDIAN_ADMIN_KEY: '' }, dir);
      try {
        assert.equal(second.running.adminKey, undefined, 'the second start generates nothing');
        const keys = await second.api('GET', '/api/v1/api-keys', undefined, { key: generated });
        assert.equal(keys.status, 200, 'the first key still works');
        assert.equal(keys.body.items.length, 1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
