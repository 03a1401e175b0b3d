import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFields } from '../schema/compose.ts';
import { STANDARD_SCHEMAS } from '../schema/service.ts';
import type { FieldDefinition } from '../schema/model.ts';
import type { StoredRecord } from '../ingest/record-store.ts';
import { lakeColumns, lakeTypeOf, toSqlType } from './lake-types.ts';
import { shapeRow, shapeValue, stageLines, stageWrapped } from './lake-rows.ts';
import { partFilePath, utcDay } from './lake-layout.ts';
import { groupSlice } from './slice-writer.ts';
import { assertReadOnlyText } from './statement-guard.ts';
import { isoFromMicros } from './duckdb-json.ts';
import { createViewSql } from './table-views.ts';

function standardTree(name: string): Record<string, FieldDefinition> {
  const input = STANDARD_SCHEMAS.find((s) => s.name === name);
  assert.ok(input);
  return composeFields({ class: input.class, fieldGroups: input.fieldGroups ?? [], fields: {}, required: [] });
}

function sqlTypes(tree: Record<string, FieldDefinition>): Record<string, string> {
  return Object.fromEntries(lakeColumns(tree).map((c) => [c.name, toSqlType(c.type)]));
}

test('the experience-event schema becomes typed columns: structs, lists of structs, maps, timestamps', () => {
  const types = sqlTypes(standardTree('experience-event'));
  assert.equal(types.timestamp, 'TIMESTAMPTZ');
  assert.equal(types._id, 'VARCHAR');
  assert.match(types.web, /^STRUCT\("webPageDetails" STRUCT\("name" VARCHAR, "URL" VARCHAR, .*"pageViews" STRUCT\("id" VARCHAR, "value" DOUBLE\)\)/);
  assert.equal(types.identityMap, 'MAP(VARCHAR, STRUCT("id" VARCHAR, "authenticatedState" VARCHAR, "primary" BOOLEAN)[])');
  assert.match(types.productListItems, /^STRUCT\("SKU" VARCHAR, "name" VARCHAR, "quantity" BIGINT, "priceTotal" DOUBLE, .*"productCategories" STRUCT\(.*\)\[\]\)\[\]$/);
  assert.deepEqual(Object.keys(types).slice(-4), ['_seq', '_ingested_at', '_batch_id', '_record_time']);
  assert.equal(types._seq, 'BIGINT');
  assert.equal(types._ingested_at, 'TIMESTAMPTZ');
});

test('the profile schema: dates are DATE, nested open maps are nested MAPs', () => {
  const types = sqlTypes(standardTree('profile'));
  assert.match(types.person, /"birthDate" DATE/);
  assert.match(types.person, /"birthYear" BIGINT/);
  assert.match(types.consents, /"idSpecific" MAP\(VARCHAR, MAP\(VARCHAR, MAP\(VARCHAR, STRUCT\("val" VARCHAR\)\)\)\)/);
  assert.match(types.crm, /"emailDeliverable" BOOLEAN/);
});

test('shapes with no fixed struct become JSON, and a field named like a system column yields to it', () => {
  assert.equal(toSqlType(lakeTypeOf({ type: 'object' })), 'JSON');
  assert.equal(toSqlType(lakeTypeOf({ type: 'array' })), 'JSON');
  assert.equal(toSqlType(lakeTypeOf({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } })), 'JSON');
  assert.equal(toSqlType(lakeTypeOf({ type: 'array', items: { type: 'array', items: { type: 'integer' } } })), 'BIGINT[][]');
  const columns = lakeColumns({ _seq: { type: 'string' }, order: { type: 'object', properties: { primary: { type: 'boolean' } } } });
  assert.deepEqual(columns.map((c) => c.name), ['order', '_seq', '_ingested_at', '_batch_id', '_record_time']);
  assert.equal(toSqlType(columns[0].type), 'STRUCT("primary" BOOLEAN)', 'keywords as field names are quoted');
});

test('values are coerced to their column type, and what cannot fit becomes null instead of failing the slice', () => {
  const ts = lakeTypeOf({ type: 'string', format: 'date-time' });
  assert.equal(shapeValue('2026-11-01T12:00:00+02:00', ts), '2026-11-01T10:00:00.000Z');
  assert.equal(shapeValue('not a time', ts), null);
  const date = lakeTypeOf({ type: 'string', format: 'date' });
  assert.equal(shapeValue('2026-02-28', date), '2026-02-28');
  assert.equal(shapeValue('2026-02-30', date), null);
  const int = lakeTypeOf({ type: 'integer' });
  assert.equal(shapeValue(42, int), 42);
  assert.equal(shapeValue(1e20, int), null, 'beyond BIGINT');
  assert.equal(shapeValue(1.5, int), null);
  assert.equal(shapeValue(7, lakeTypeOf({ type: 'string' })), '7');
  assert.equal(shapeValue('x', lakeTypeOf({ type: 'boolean' })), null);
  const struct = lakeTypeOf({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } } });
  assert.deepEqual(shapeValue({ a: 1, unknown: 'dropped' }, struct), { a: 1 }, 'absent fields are left out (they read as NULL)');
  assert.equal(shapeValue([1], struct), null);
  const map = lakeTypeOf({ type: 'object', additionalProperties: { type: 'integer' } });
  assert.deepEqual(shapeValue({ x: 1, y: 'no' }, map), { x: 1, y: null });
  assert.deepEqual(shapeValue({ any: [1, { deep: true }] }, lakeTypeOf({ type: 'object' })), { any: [1, { deep: true }] });
});

test('a stored record becomes a row with the system columns from the log, not from its body', () => {
  const record: StoredRecord = {
    seq: 9,
    sandboxId: 's',
    datasetId: 'd',
    recordId: 'e1',
    timestamp: Date.parse('2026-11-01T10:00:00Z'),
    ingestedAt: Date.parse('2026-11-01T10:00:01Z'),
    batchId: 'b1',
    body: JSON.stringify({ _id: 'e1', _seq: 'forged', extra: 1 }),
  };
  const row = shapeRow(record, lakeColumns({ _id: { type: 'string' }, _seq: { type: 'string' } }));
  assert.deepEqual(row, {
    _id: 'e1',
    _seq: 9,
    _ingested_at: '2026-11-01T10:00:01.000Z',
    _batch_id: 'b1',
    _record_time: '2026-11-01T10:00:00.000Z',
  });
});

test('logged bytes are staged wrapped under _body as they are, next to the system columns, one line each', () => {
  const body = '{"_id":"é1","name":"Zoë 😀"}';
  const staged = stageWrapped([
    { seq: 7, sandboxId: 's', datasetId: 'd', recordId: 'é1', timestamp: Date.UTC(2026, 10, 1), ingestedAt: Date.UTC(2026, 10, 2), batchId: 'bch_ü', body: Buffer.from(body) },
    { seq: 8, sandboxId: 's', datasetId: 'd', recordId: 'x', timestamp: Date.UTC(2026, 10, 1), ingestedAt: Date.UTC(2026, 10, 2), body: new TextEncoder().encode('{}') },
  ]);
  const lines = staged.content.toString('utf8').split('\n');
  assert.equal(lines.pop(), '', 'every line ends with a newline');
  assert.deepEqual(JSON.parse(lines[0]), {
    _seq: 7,
    _ingested_at: '2026-11-02T00:00:00.000Z',
    _batch_id: 'bch_ü',
    _record_time: '2026-11-01T00:00:00.000Z',
    _body: { _id: 'é1', name: 'Zoë 😀' },
  });
  assert.deepEqual(JSON.parse(lines[1])._body, {});
  assert.equal(JSON.parse(lines[1])._batch_id, null);
  assert.equal(staged.longestLine, Buffer.byteLength(lines[0]), 'the longest line, in bytes');
  assert.deepEqual(stageLines([]).content.length, 0);
  assert.equal(stageLines(['{"a":"é"}']).longestLine, 10);
});

test('a slice is grouped by sandbox, dataset and UTC day, and files are named by their first seq', () => {
  const rec = (seq: number, datasetId: string, iso: string) =>
    ({ seq, sandboxId: 's', datasetId, recordId: `r${seq}`, timestamp: Date.parse(iso), ingestedAt: 0, body: '{}' }) as StoredRecord;
  const groups = groupSlice([
    rec(1, 'a', '2026-11-01T23:59:59.999Z'),
    rec(2, 'b', '2026-11-01T10:00:00Z'),
    rec(3, 'a', '2026-11-02T00:00:00Z'),
    rec(4, 'a', '2026-11-01T01:00:00+02:00'),
  ]);
  assert.deepEqual(
    groups.map((g) => [g.datasetId, g.day, g.records.map((r) => r.seq)]),
    [
      ['a', '2026-11-01', [1]],
      ['b', '2026-11-01', [2]],
      ['a', '2026-11-02', [3]],
      ['a', '2026-10-31', [4]],
    ],
  );
  assert.equal(utcDay(Date.parse('2026-11-01T01:00:00+02:00')), '2026-10-31');
  assert.equal(partFilePath('sbx_1', 'ds_2', '2026-11-01', 42), 'sandbox=sbx_1/dataset=ds_2/day=2026-11-01/part-00000000000000000042.parquet');
  assert.throws(() => partFilePath('../etc', 'ds', '2026-11-01', 1), /cannot be used as a lake path segment/);
});

test('only read-only statements pass the text check, whatever comments or case they hide behind', () => {
  for (const sql of ['SELECT 1', ' (select 1)', '-- hi\nWITH x AS (SELECT 1) SELECT * FROM x', '/* c */ values (1)', 'FROM t', 'DESCRIBE t', 'SHOW TABLES', 'SUMMARIZE t', 'EXPLAIN SELECT 1', 'explain analyze select 1']) {
    assert.doesNotThrow(() => assertReadOnlyText(sql), sql);
  }
  for (const [sql, keyword] of [
    ["COPY t TO '/tmp/x.csv'", 'COPY'],
    ["ATTACH '/tmp/x.db'", 'ATTACH'],
    ['INSTALL httpfs', 'INSTALL'],
    ['LOAD httpfs', 'LOAD'],
    ['SET enable_external_access = true', 'SET'],
    ['PRAGMA version', 'PRAGMA'],
    ['/* x */ create table t as select 1', 'CREATE'],
    ['DELETE FROM t', 'DELETE'],
    ["EXPLAIN ANALYZE COPY t TO '/tmp/x'", 'COPY'],
    ["EXPORT DATABASE '/tmp/x'", 'EXPORT'],
  ]) {
    assert.throws(() => assertReadOnlyText(sql), (err: Error) => err.message.startsWith(`QUERY_REJECTED: ${keyword} statements are not allowed`), sql);
  }
  assert.throws(() => assertReadOnlyText('  -- nothing'), /holds no SQL statement/);
});

test('timestamps convert to ISO 8601 with microseconds only when present', () => {
  assert.equal(isoFromMicros(1_793_527_200_000_000n, true), '2026-11-01T10:00:00.000Z');
  assert.equal(isoFromMicros(1_793_527_200_000_123n, true), '2026-11-01T10:00:00.000123Z');
  assert.equal(isoFromMicros(-1n, true), '1969-12-31T23:59:59.999999Z');
  assert.equal(isoFromMicros(0n, false), '1970-01-01T00:00:00.000');
  assert.equal(isoFromMicros(10n ** 22n, true), undefined);
});

test('a dataset view casts every column to the current type, and fills columns no file has with typed nulls', () => {
  const columns = lakeColumns({ a: { type: 'string' }, b: { type: 'integer' } });
  const empty = createViewSql({ name: 'evt', datasetId: 'd', columns, files: [] });
  assert.match(empty, /^CREATE VIEW "evt" AS SELECT CAST\(NULL AS VARCHAR\) AS "a", CAST\(NULL AS BIGINT\) AS "b", .* WHERE false$/);
  const older = createViewSql({ name: 'evt', datasetId: 'd', columns, files: [{ path: "/l/it's.parquet", columns: ['a', '_seq', '_ingested_at', '_batch_id', '_record_time'] }] });
  assert.match(older, /CAST\("a" AS VARCHAR\) AS "a", CAST\(NULL AS BIGINT\) AS "b"/);
  assert.match(older, /FROM read_parquet\(\['\/l\/it''s\.parquet'\], union_by_name = true\)$/);
});
