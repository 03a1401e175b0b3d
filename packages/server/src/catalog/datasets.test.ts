/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/** Dataset promises, through the real server: CRUD, unique names, schema binding, record counts. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

let unique = 0;
const name = (base: string) => `${base}_${++unique}`;
const event = (id: string) => ({ _id: id, timestamp: '2026-11-01T10:00:00Z' });

describe('datasets', () => {
  test('a dataset is created, read by id or name, listed, changed and deleted', async () => {
    const dsName = name('crud');
    const created = await server.api('POST', '/api/v1/datasets', { name: dsName, schemaId: 'experience-event', description: 'web events', labels: ['C1'], retentionDays: 30 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ds = created.body;
    assert.match(ds.id, /^ds_/);
    assert.equal(ds.class, 'event');
    assert.equal(ds.profileEnabled, false);
    assert.deepEqual(ds.labels, ['C1']);
    assert.equal(ds.retentionDays, 30);
    const schema = await server.api('GET', '/api/v1/schemas/experience-event');
    assert.equal(ds.schemaId, schema.body.id, 'a schema named by name is bound by id');

    for (const ref of [ds.id, dsName]) {
      const got = await server.api('GET', `/api/v1/datasets/${ref}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.id, ds.id);
      assert.equal(got.body.recordCount, 0);
    }
    const list = await server.api('GET', '/api/v1/datasets');
    assert.ok(list.body.items.some((d: any) => d.id === ds.id));

    const patched = await server.api('PATCH', `/api/v1/datasets/${ds.id}`, { description: 'all web events', labels: ['C1', 'C2'], retentionDays: 90 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.description, 'all web events');
    assert.ok(Date.parse(patched.body.updatedAt) >= Date.parse(ds.updatedAt));
    const reread = await server.api('GET', `/api/v1/datasets/${dsName}`);
    assert.deepEqual(reread.body.labels, ['C1', 'C2']);
    assert.equal(reread.body.retentionDays, 90);
    assert.equal((await server.api('PATCH', `/api/v1/datasets/${ds.id}`, { profileEnabled: true })).body.profileEnabled, true);
    const described = await server.api('PATCH', `/api/v1/datasets/${ds.id}`, { description: 'still profile-enabled' });
    assert.equal(described.body.profileEnabled, true, 'a patch that does not name profileEnabled leaves it alone');

    assert.equal((await server.api('DELETE', `/api/v1/datasets/${dsName}`)).status, 204);
    assertProblem(await server.api('GET', `/api/v1/datasets/${ds.id}`), 404, 'DATASET_NOT_FOUND');
    assertProblem(await server.api('GET', `/api/v1/datasets/${dsName}`), 404, 'DATASET_NOT_FOUND');
    assertProblem(await server.api('DELETE', `/api/v1/datasets/${ds.id}`), 404, 'DATASET_NOT_FOUND');
    assertProblem(await server.api('PATCH', `/api/v1/datasets/${ds.id}`, { description: 'x' }), 404, 'DATASET_NOT_FOUND');
    const after = await server.api('GET', '/api/v1/datasets');
    assert.ok(!after.body.items.some((d: any) => d.id === ds.id));
  });

  test('a renamed dataset answers to its new name only', async () => {
    const oldName = name('before');
    const newName = name('after');
    const ds = await server.api('POST', '/api/v1/datasets', { name: oldName, schemaId: 'experience-event' });
    assert.equal((await server.api('GET', `/api/v1/datasets/${oldName}`)).status, 200);
    const renamed = await server.api('PATCH', `/api/v1/datasets/${oldName}`, { name: newName });
    assert.equal(renamed.status, 200);
    assertProblem(await server.api('GET', `/api/v1/datasets/${oldName}`), 404, 'DATASET_NOT_FOUND');
    assertProblem(await server.api('POST', `/api/v1/ingest/${oldName}`, event('x')), 404, 'DATASET_NOT_FOUND');
    assert.equal((await server.api('GET', `/api/v1/datasets/${newName}`)).body.id, ds.body.id);
    assert.equal((await server.api('POST', `/api/v1/ingest/${newName}`, event('x'))).status, 200);
  });

  test('a dataset name is unique in its sandbox (409 NAME_TAKEN), on create and on rename', async () => {
    const taken = name('taken');
    const other = name('other');
    assert.equal((await server.api('POST', '/api/v1/datasets', { name: taken, schemaId: 'experience-event' })).status, 201);
    assert.equal((await server.api('POST', '/api/v1/datasets', { name: other, schemaId: 'experience-event' })).status, 201);
    assertProblem(await server.api('POST', '/api/v1/datasets', { name: taken, schemaId: 'profile' }), 409, 'NAME_TAKEN');
    assertProblem(await server.api('PATCH', `/api/v1/datasets/${other}`, { name: taken }), 409, 'NAME_TAKEN');
    assert.equal((await server.api('PATCH', `/api/v1/datasets/${other}`, { name: other })).status, 200, 'keeping its own name is fine');
  });

  test('a dataset of an unknown schema is refused with 404 SCHEMA_NOT_FOUND', async () => {
    const dsName = name('orphan');
    assertProblem(await server.api('POST', '/api/v1/datasets', { name: dsName, schemaId: 'no-such-schema' }), 404, 'SCHEMA_NOT_FOUND');
    assertProblem(await server.api('GET', `/api/v1/datasets/${dsName}`), 404, 'DATASET_NOT_FOUND');
  });

  test('a malformed dataset body is refused with 400 VALIDATION_FAILED', async () => {
    const res = await server.api('POST', '/api/v1/datasets', { name: '1 bad name', schemaId: 'profile', extra: true });
    assertProblem(res, 400, 'VALIDATION_FAILED');
    assert.ok(res.body.errors.some((e: any) => e.path === 'body.name'), JSON.stringify(res.body.errors));
    assertProblem(await server.api('POST', '/api/v1/datasets', { name: name('noschema') }), 400, 'VALIDATION_FAILED');
    assertProblem(await server.api('PATCH', '/api/v1/datasets/x', { schemaId: 'profile' }), 400, 'VALIDATION_FAILED');
  });

  test('any schema can back a profile-enabled dataset: records carry identities in identityMap or identity fields', async () => {
    const events = await server.api('POST', '/api/v1/datasets', { name: name('prof'), schemaId: 'experience-event', profileEnabled: true });
    assert.equal(events.status, 201);
    assert.equal(events.body.class, 'event');
    const profiles = await server.api('POST', '/api/v1/datasets', { name: name('prof'), schemaId: 'profile', profileEnabled: true });
    assert.equal(profiles.status, 201);
    assert.equal(profiles.body.profileEnabled, true);
    assert.equal(profiles.body.class, 'profile');

    const plain = await server.api('POST', '/api/v1/datasets', { name: name('prof'), schemaId: 'experience-event' });
    const switched = await server.api('PATCH', `/api/v1/datasets/${plain.body.id}`, { profileEnabled: true });
    assert.equal(switched.status, 200);
    assert.equal((await server.api('GET', `/api/v1/datasets/${plain.body.id}`)).body.profileEnabled, true);
  });

  test('the record count follows accepted records, not rejected or duplicate ones', async () => {
    const ds = await server.api('POST', '/api/v1/datasets', { name: name('count'), schemaId: 'experience-event' });
    const first = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [event('a'), event('b'), { _id: 'bad', timestamp: 'no' }, event('a')]);
    assert.equal(first.status, 207);
    assert.equal(first.body.accepted, 2);
    assert.equal(first.body.duplicates, 1, 'the same _id twice in one request is written once');
    await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [event('b'), event('c'), { timestamp: '2026-11-01T10:00:00Z' }]);
    const info = await server.api('GET', `/api/v1/datasets/${ds.body.id}`);
    assert.equal(info.body.recordCount, 4);
    const records = await server.api('GET', `/api/v1/datasets/${ds.body.id}/records?limit=3`);
    assert.equal(records.body.items.length, 3);
    const rest = await server.api('GET', `/api/v1/datasets/${ds.body.id}/records?limit=3&cursor=${records.body.next}`);
    assert.equal(rest.body.items.length, 1);
    const ids = [...records.body.items, ...rest.body.items].map((r: any) => r._id);
    assert.equal(new Set(ids).size, 4);
    assert.ok(['a', 'b', 'c'].every((id) => ids.includes(id)));
  });

  test('deleting a dataset removes its records and rejections', async () => {
    const dsName = name('gone');
    const ds = await server.api('POST', '/api/v1/datasets', { name: dsName, schemaId: 'experience-event' });
    await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [event('r1'), event('r2'), { _id: 'bad', timestamp: 0 }]);
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${ds.body.id}`)).status, 204);
    const db = server.running.platform.recordsDb;
    assert.equal((db.prepare('SELECT count(*) AS n FROM records WHERE dataset_id = ?').get(ds.body.id) as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT count(*) AS n FROM rejected_records WHERE dataset_id = ?').get(ds.body.id) as { n: number }).n, 0);

    const again = await server.api('POST', '/api/v1/datasets', { name: dsName, schemaId: 'experience-event' });
    assert.equal(again.status, 201);
    assert.notEqual(again.body.id, ds.body.id);
    const info = await server.api('GET', `/api/v1/datasets/${dsName}`);
    assert.equal(info.body.id, again.body.id);
    assert.equal(info.body.recordCount, 0);
    const sent = await server.api('POST', `/api/v1/ingest/${dsName}`, [event('r1'), event('r2')]);
    assert.equal(sent.body.accepted, 2, 'old _ids are not duplicates in the new dataset');
    assert.deepEqual((await server.api('GET', `/api/v1/datasets/${dsName}/rejections`)).body.items, []);
  });
});
