/* eslint-disable @typescript-eslint/no-explicit-any -- fuzzed values are untyped by nature */
/**
 * Property tests of streaming ingest: no input, however malformed, crashes the validator or the
 * server (every answer is a 2xx or a 4xx problem+json), and in a mixture of valid and invalid
 * records exactly the valid ones are written, byte for byte as sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compileValidator } from '../schema/validate.ts';
import { STANDARD_SCHEMAS } from '../schema/service.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../testing/harness.ts';

const RUNS = 200;
const experienceEvent = STANDARD_SCHEMAS.find((s) => s.name === 'experience-event')!;
const validate = compileValidator({ class: 'event', fieldGroups: experienceEvent.fieldGroups ?? [], fields: {}, required: [] });

let server: TestServer;
let datasetId: string;
before(async () => {
  server = await startTestServer({ MERIDIAN_BODY_LIMIT_BYTES: String(256 * 1024), MERIDIAN_INGEST_MAX_RECORDS: '50' });
  const ds = await server.api('POST', '/api/v1/datasets', { name: 'fuzzed', schemaId: 'experience-event' });
  assert.equal(ds.status, 201);
  datasetId = ds.body.id;
});
after(() => server.stop());

// ---------------------------------------------------------------------------------------------
// Arbitraries

const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const dateTimeIn = (min: string, max: string) => fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true }).map((d) => d.toISOString());
/** Any instant, for the validator; records sent to the server stay within a few days (the lake partitions by day). */
const anyDateTime = dateTimeIn('1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
const recentDateTime = dateTimeIn('2026-11-01T00:00:00Z', '2026-11-03T23:59:59Z');
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

/** A record valid for the experience-event schema, without `_id` (given per run). */
const validEventAt = (dateTime: fc.Arbitrary<string>) =>
  fc.record(
    {
      timestamp: dateTime,
      eventType: fc.string({ unit: 'grapheme', maxLength: 30 }),
      web: fc.record({ webPageDetails: fc.record({ name: anyString, URL: anyString, isHomePage: fc.boolean(), pageViews: fc.record({ value: finite }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      commerce: fc.record({ order: fc.record({ priceTotal: finite, purchaseID: anyString }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      productListItems: fc.array(fc.record({ SKU: anyString, quantity: fc.nat(), priceTotal: finite }, { requiredKeys: [] }), { maxLength: 4 }),
      device: fc.record({ type: fc.constantFrom('mobile', 'tablet', 'desktop'), screenWidth: fc.nat(10_000) }, { requiredKeys: [] }),
      identityMap: fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,8}$/), fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), primary: fc.boolean() }, { requiredKeys: ['id'] }), { minLength: 1, maxLength: 2 }), { maxKeys: 2 }),
    },
    { requiredKeys: ['timestamp'] },
  );
const validEvent = validEventAt(anyDateTime);

/** A way to break a valid record, and the path the refusal must name. */
type Breakage = { kind: 'mutate'; apply: (r: any) => void; path: (r: any) => string } | { kind: 'replace'; value: unknown };
const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '', '2026-01-01', '2026-01-01T10:00:00').map((bad): Breakage => ({ kind: 'mutate', apply: (r) => (r.timestamp = bad), path: () => 'timestamp' })),
  fc.constant<Breakage>({ kind: 'mutate', apply: (r) => delete r.timestamp, path: () => 'timestamp' }),
  fc.stringMatching(/^x_[a-z0-9]{1,8}$/).map((key): Breakage => ({ kind: 'mutate', apply: (r) => (r[key] = 1), path: () => key })),
  anyString.map((text): Breakage => ({ kind: 'mutate', apply: (r) => (r.commerce = { order: { priceTotal: text } }), path: () => 'commerce.order.priceTotal' })),
  fc.constantFrom(-1, 1.5).map((q): Breakage => ({
    kind: 'mutate',
    apply: (r) => (r.productListItems = [...(r.productListItems ?? []), { SKU: 'x', quantity: q }]),
    path: (r) => `productListItems[${r.productListItems.length - 1}].quantity`,
  })),
  fc.constantFrom('phone', 'MOBILE').map((t): Breakage => ({ kind: 'mutate', apply: (r) => (r.device = { type: t }), path: () => 'device.type' })),
  fc.oneof(anyString, fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.boolean()).map((value): Breakage => ({ kind: 'replace', value })),
);

/** Items of a request: each either valid or broken in one known way. */
const mixture = fc.array(fc.tuple(validEventAt(recentDateTime), fc.option(breakage, { freq: 2 })), { minLength: 1, maxLength: 12 });

/** Any JSON a client could send, biased towards shapes close to records. */
const recordish = fc.dictionary(
  fc.oneof(fc.constantFrom('_id', 'timestamp', 'web', 'commerce', 'productListItems', 'identityMap', 'device', 'eventType'), fc.string({ maxLength: 8 })),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), recordish, fc.array(recordish, { maxLength: 8 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 8 }));

// ---------------------------------------------------------------------------------------------
// Helpers

interface Answer {
  status: number;
  type: string;
  body: any;
}

async function post(body: BodyInit, headers: Record<string, string>, path = `/api/v1/ingest/${datasetId}`): Promise<Answer> {
  const res = await fetch(server.url + path, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...headers }, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
}

/** Every answer is a 2xx, or a 4xx problem+json with a stable code; never a 5xx. */
function assertWellFormed(answer: Answer) {
  assert.ok(answer.status < 500, `a ${answer.status}: ${JSON.stringify(answer.body)}`);
  if (answer.status >= 400) {
    assert.match(answer.type, /^application\/problem\+json/, `${answer.status} without problem+json`);
    assert.equal(typeof answer.body.code, 'string');
    assert.equal(answer.body.status, answer.status);
  } else {
    assert.ok(answer.status === 200 || answer.status === 207, `unexpected ${answer.status}`);
  }
}

let run = 0;

// ---------------------------------------------------------------------------------------------

describe('the validator, fuzzed', () => {
  test('no value makes the validator throw; it always answers a list of named errors', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, fc.anything()), (value) => {
        const errors = validate(value);
        assert.ok(Array.isArray(errors));
        for (const e of errors) {
          assert.equal(typeof e.path, 'string');
          assert.equal(typeof e.message, 'string');
          assert.ok(e.message.length > 0);
        }
        assert.deepEqual(validate(value), errors, 'validation is deterministic');
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('valid records pass and each broken record names the field that broke it', () => {
    fc.assert(
      fc.property(validEvent, breakage, (record, how) => {
        assert.deepEqual(validate(record), []);
        if (how.kind === 'replace') {
          assert.deepEqual(validate(how.value), [{ path: '', message: 'a record must be a JSON object' }]);
          return;
        }
        const broken = structuredClone(record) as any;
        how.apply(broken);
        const errors = validate(broken);
        assert.ok(errors.some((e) => e.path === how.path(broken)), `${how.path(broken)} in ${JSON.stringify(errors)}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('the ingest endpoint, fuzzed', () => {
  test('any JSON body gets a 2xx or a 4xx problem+json, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        assertWellFormed(await post(JSON.stringify(value), { 'content-type': 'application/json' }));
      }),
      { numRuns: RUNS },
    );
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('any bytes or text, plain or claiming gzip, get a 2xx or a 4xx problem+json', async () => {
    const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json');
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(payload, contentTypes, fc.constantFrom('none', 'gzip', 'gzip-claimed', 'deflate-claimed'), async (bytes, contentType, encoding) => {
        const headers: Record<string, string> = { 'content-type': contentType };
        let body: Buffer = bytes;
        if (encoding === 'gzip') {
          body = gzipSync(bytes);
          headers['content-encoding'] = 'gzip';
        } else if (encoding === 'gzip-claimed') headers['content-encoding'] = 'gzip';
        else if (encoding === 'deflate-claimed') headers['content-encoding'] = 'deflate';
        assertWellFormed(await post(new Uint8Array(body), headers));
      }),
      { numRuns: RUNS },
    );
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('any sandbox header or dataset reference gets a 4xx problem+json, never a 5xx', async () => {
    const header = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
    await fc.assert(
      fc.asyncProperty(header, fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), async (sandbox, ref) => {
        const answer = await post(JSON.stringify({ timestamp: '2026-01-01T00:00:00Z' }), { 'content-type': 'application/json', 'x-sandbox-name': sandbox }, `/api/v1/ingest/${encodeURIComponent(ref)}`);
        assertWellFormed(answer);
      }),
      { numRuns: RUNS / 2 },
    );
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('in a mixture of valid and invalid records exactly the valid ones are written, as sent', async () => {
    const db = server.running.platform.recordsDb;
    const stored = db.prepare('SELECT record_id, body FROM records WHERE dataset_id = ? AND record_id LIKE ?');
    await fc.assert(
      fc.asyncProperty(mixture, async (items) => {
        const prefix = `run${++run}-`;
        const sent: unknown[] = [];
        const validIds: string[] = [];
        const validById = new Map<string, unknown>();
        const invalid: number[] = [];
        items.forEach(([record, how], i) => {
          const r = { _id: `${prefix}${i}`, ...structuredClone(record) } as any;
          if (how === null) {
            sent.push(r);
            validIds.push(r._id);
            validById.set(r._id, JSON.parse(JSON.stringify(r)));
            return;
          }
          invalid.push(i);
          if (how.kind === 'replace') sent.push(how.value);
          else {
            how.apply(r);
            sent.push(r);
          }
        });
        const answer = await post(JSON.stringify(sent), { 'content-type': 'application/json' });
        assertWellFormed(answer);
        if (validIds.length === 0) {
          assert.equal(answer.status, 422);
          assert.equal(answer.body.code, 'RECORDS_REJECTED');
          assert.deepEqual([...new Set(answer.body.errors.map((e: any) => e.index))], invalid);
        } else {
          assert.equal(answer.status, invalid.length === 0 ? 200 : 207, JSON.stringify(answer.body));
          assert.equal(answer.body.accepted, validIds.length);
          assert.equal(answer.body.duplicates, 0);
          assert.deepEqual(answer.body.ids, validIds);
          assert.deepEqual(answer.body.rejected.map((r: any) => r.index), invalid);
        }
        const rows = stored.all(datasetId, `${prefix}%`) as { record_id: string; body: string }[];
        assert.deepEqual(rows.map((r) => r.record_id).sort(), [...validIds].sort(), 'exactly the valid records are stored');
        for (const row of rows) assert.deepEqual(JSON.parse(row.body), validById.get(row.record_id), 'a record is stored as it was sent');
      }),
      { numRuns: RUNS },
    );
  });
});
