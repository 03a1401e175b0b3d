/**
 * The SQL engine and the in-memory evaluator (segmentation/evaluate) must agree on every case
 * expression over random profiles and events: fast-check generates a batch of profiles from the
 * fields, values, event types and timestamps the case table uses; the batch is loaded once into
 * DuckDB; each case's expression runs as one query over the whole batch and is compared profile by
 * profile with the evaluator (audience yes/no for audience cases, the value otherwise).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { childExpressions, type Expr } from '../pql/ast.ts';
import { PQL_CASES, type JsonValue, type XdmEvent } from '../pql/cases.ts';
import { parseOrThrow } from '../pql/parser.ts';
import { compileExpression } from '../evaluate/compile.ts';
import { toJsonValue } from '../evaluate/values.ts';
import { gatherEventLists } from '../jobs/event-lists.ts';
import { compileToSql } from './compile.ts';
import { inputFieldsFor, type InputFields } from './input-fields.ts';
import { loadPqlInput, preparePqlInput, type PqlInputProfile } from './input-layout.ts';
import { openPqlDatabase, runConcurrently, type PqlDatabase } from './test-support.ts';

const PROFILES = Number(process.env.PQL_DIFF_PROFILES ?? 60);
const SEED = Number(process.env.PQL_DIFF_SEED ?? 20250618);

/** Every field name the case expressions read, so random documents hit real paths. */
function caseKeys(): string[] {
  const keys = new Set<string>(['timestamp', 'eventType']);
  const visit = (node: Expr) => {
    if (node.nodeType === 'fieldLookup' && node.fieldName !== 'xEvent') keys.add(node.fieldName);
    childExpressions(node).forEach(visit);
  };
  for (const c of PQL_CASES) visit(parseOrThrow(c.pql));
  return [...keys];
}

const KEYS = caseKeys();
const EVENT_TYPES = [...new Set(PQL_CASES.flatMap((c) => c.events.map((e) => e.eventType)).filter((t): t is string => t !== undefined))];
const SEGMENTS = [...new Set(PQL_CASES.flatMap((c) => c.segments ?? []).concat(['seg-a', 'existing segment']))];
const NOW = Date.parse('2025-06-18T15:00:00Z');
const timestamp = fc.integer({ min: -40 * 86_400, max: 3 * 86_400 }).map((s) => new Date(NOW + s * 1000).toISOString());
const STRINGS = ['US', 'CA', 'us', 'PS', 'CTRL', 'red', 'blue', 'John Smith', 'john.smith2010@gmail.com', 'Los Angeles', 'gold', 'female', 'male', 's1', 'image', 'p1', 'sporting goods', '', '1', '2025-06-18', '2025-06-15T22:00:00Z', 'not a date', ...EVENT_TYPES];

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 2000 }), fc.constantFrom(7.5, -51.24, 0.1, 1985, 6, 0),
  fc.constantFrom(...STRINGS), timestamp,
);
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, leaf, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 })),
})).value;
const attributes = fc.dictionary(fc.constantFrom(...KEYS), json, { maxKeys: 8 }) as fc.Arbitrary<{ [key: string]: JsonValue }>;
const event = fc.record({
  timestamp: fc.option(timestamp, { nil: undefined, freq: 8 }),
  eventType: fc.option(fc.constantFrom(...EVENT_TYPES), { nil: undefined, freq: 8 }),
  fields: fc.dictionary(fc.constantFrom(...KEYS.filter((k) => k !== 'timestamp' && k !== 'eventType' && k !== '_id')), json, { maxKeys: 4 }),
});
const profileArb = fc.record({ attributes, events: fc.array(event, { maxLength: 6 }), segments: fc.subarray(SEGMENTS) });

const batch: PqlInputProfile[] = fc.sample(profileArb, { numRuns: PROFILES, seed: SEED }).map((p, i) => ({
  profileId: `r${i}`,
  attributes: p.attributes,
  segments: p.segments,
  events: p.events.map((e, j): XdmEvent => {
    const out: XdmEvent = { ...(e.fields as { [key: string]: JsonValue }), _id: `r${i}e${j}` };
    if (e.timestamp !== undefined) out.timestamp = e.timestamp;
    if (e.eventType !== undefined) out.eventType = e.eventType;
    return out;
  }),
}));

/** JSON equality with numbers compared to 1e-9 relative (SQL and JS may sum in another order). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b) || (a === 0 && b === 0);
}

let db: PqlDatabase;
/** Each case's SQL rows over the whole batch, queried concurrently before the tests compare them. */
let results: ({ rows: unknown[][] } | { error: unknown })[] = [];
before(async () => {
  db = await openPqlDatabase();
  await loadPqlInput(db.connection, batch);
  await preparePqlInput(db.connection);
  results = await runConcurrently(db, PQL_CASES.map((c) => async (connection) => {
    try {
      const compiled = compileToSql(parseOrThrow(c.pql), { now: c.now, mode: typeof c.expected === 'boolean' ? 'audience' : 'value' });
      return { rows: (await connection.runAndReadAll(compiled.sql, compiled.params)).getRows() as unknown[][] };
    } catch (error) {
      return { error };
    }
  }));
});
after(() => db.close());

/**
 * Each case's rows over the random batch and every case's own profile (which reaches the paths and
 * values the case tests), with the input gathered as a job gathers it for `fields`, or whole.
 */
async function rowsOver(cases: readonly number[], fields: InputFields | undefined): Promise<Map<number, unknown[][]>> {
  const database = await openPqlDatabase();
  try {
    const own = PQL_CASES.map((c, i): PqlInputProfile => ({ profileId: `case-${i}`, attributes: c.profile, events: c.events, ...(c.segments ? { segments: c.segments } : {}) }));
    await loadPqlInput(database.connection, [...batch, ...own]);
    await gatherEventLists(database.connection, fields?.events);
    if (fields) await database.connection.run(fields.profile.tableSql());
    const rows = await runConcurrently(database, cases.map((index) => async (connection) => {
      const c = PQL_CASES[index];
      const compiled = compileToSql(parseOrThrow(c.pql), { now: c.now, mode: typeof c.expected === 'boolean' ? 'audience' : 'value', ...(fields ? { fields } : {}) });
      return (await connection.runAndReadAll(compiled.sql, compiled.params)).getRows() as unknown[][];
    }));
    return new Map(cases.map((index, i) => [index, rows[i]]));
  } finally {
    database.close();
  }
}

test('input gathered with only the event and profile fields the cases read gives every case the same rows as whole documents', async () => {
  const compiles = PQL_CASES.map((_, index) => index).filter((index) => !('error' in results[index]));
  const queries = compiles.map((index) => ({ ast: parseOrThrow(PQL_CASES[index].pql), now: Date.parse(PQL_CASES[index].now), mode: typeof PQL_CASES[index].expected === 'boolean' ? ('audience' as const) : ('value' as const) }));
  // No case uses a whole event: the body is left out. Gathered a second time with both documents
  // kept beside the fields, the fields must still read the same.
  const narrow = inputFieldsFor(queries);
  assert.equal(narrow.events.keepsBody, false);
  assert.match(narrow.events.struct(), /f\d+ JSON/, 'some case reads a field of an event body');
  for (const read of ['s', 'n', 'b', 't']) assert.match(narrow.profile.tableSql(), new RegExp(`AS ${read}\\d+`), `cases read profile paths as ${read}`);
  const kept: InputFields = { events: narrow.events.fixed(true), profile: narrow.profile.fixed(true) };
  const sorted = (rows: unknown[][] | undefined) => (rows ?? []).map((r) => JSON.stringify(r)).sort();
  const whole = await rowsOver(compiles, undefined);
  for (const fields of [narrow, kept]) {
    const narrowed = await rowsOver(compiles, fields);
    for (const index of compiles) assert.deepEqual(sorted(narrowed.get(index)), sorted(whole.get(index)), `${PQL_CASES[index].pql} (events ${fields.events.struct()})`);
  }
});

PQL_CASES.forEach((c, index) => {
  test(`SQL agrees with the evaluator on random profiles: ${c.name}`, () => {
    const ast = parseOrThrow(c.pql);
    const now = Date.parse(c.now);
    const audience = typeof c.expected === 'boolean';
    const result = results[index];
    if ('error' in result) throw result.error;
    const rows = result.rows;
    const sqlResult = new Map<string, unknown>();
    for (const row of rows) sqlResult.set(String(row[0]), audience ? true : row[1] === null ? null : JSON.parse(String(row[1])));
    const evaluate = compileExpression(ast);
    const mismatches: string[] = [];
    for (const p of batch) {
      const input = { profile: p.attributes, events: p.events as unknown as { [key: string]: JsonValue }[], now, inSegment: (id: string) => (p.segments ?? []).includes(id) };
      const expected = audience ? evaluate.matches(input as never) : JSON.parse(JSON.stringify(toJsonValue(evaluate(input as never)) ?? null));
      const actual = audience ? sqlResult.has(p.profileId) : (sqlResult.get(p.profileId) ?? null);
      if (!same(actual, expected)) mismatches.push(`${p.profileId}: sql ${JSON.stringify(actual)} ≠ evaluator ${JSON.stringify(expected)}\n  profile ${JSON.stringify(p.attributes)}\n  events ${JSON.stringify(p.events)}`);
    }
    assert.deepEqual(mismatches.slice(0, 3), [], `${c.pql}: ${mismatches.length} of ${batch.length} profiles differ`);
  });
});
