import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../pql/parser.ts';
import { PQL_CASES } from '../pql/cases.ts';
import { loadPqlInput, preparePqlInput } from './input-layout.ts';
import type { JsonValue } from '../pql/cases.ts';
import { evaluateForProfile, openPqlDatabase, runConcurrently, type PqlDatabase } from './test-support.ts';

// Every case of the shared conformance table, evaluated by the SQL engine: all profiles are loaded
// into one in-memory DuckDB (profile id = case index) and each case runs its own compiled query.
let db: PqlDatabase;
/** Each case's outcome, computed concurrently before the tests assert them one by one. */
let outcomes: ({ value: JsonValue } | { error: unknown })[] = [];

before(async () => {
  db = await openPqlDatabase();
  await loadPqlInput(db.connection, PQL_CASES.map((c, i) => ({ profileId: `case-${i}`, attributes: c.profile, events: c.events, segments: c.segments })));
  await preparePqlInput(db.connection);
  outcomes = await runConcurrently(db, PQL_CASES.map((c, i) => async (connection) => {
    try {
      const mode = typeof c.expected === 'boolean' ? 'audience' : 'value';
      return { value: await evaluateForProfile(connection, parseOrThrow(c.pql), `case-${i}`, c.now, mode) };
    } catch (error) {
      return { error };
    }
  }));
});

after(() => db.close());

PQL_CASES.forEach((c, i) => {
  test(c.name, () => {
    const outcome = outcomes[i];
    if ('error' in outcome) throw outcome.error;
    assert.deepStrictEqual(outcome.value, c.expected, `${c.pql}${c.why ? ` (${c.why})` : ''}`);
  });
});
