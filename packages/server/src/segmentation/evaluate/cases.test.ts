/**
 * The shared PQL conformance table (`pql/cases.ts`) run through the in-memory engine: one test
 * per case, named by the case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow, PQL_CASES, type PqlCase } from '../pql/index.ts';
import type { JsonObject } from '../../storage/json.ts';
import { compileExpression } from './compile.ts';
import { asAudience, toJsonValue } from './values.ts';

/** Evaluates a case as the table's contract says: as an audience when a boolean is expected, else the raw value. */
export function evaluateCase(c: PqlCase): unknown {
  const compiled = compileExpression(parseOrThrow(c.pql));
  const segments = new Set(c.segments ?? []);
  const value = compiled({
    profile: c.profile as JsonObject,
    events: c.events as unknown as JsonObject[],
    now: Date.parse(c.now),
    inSegment: (id) => segments.has(id),
  });
  return typeof c.expected === 'boolean' ? asAudience(value) : toJsonValue(value);
}

for (const c of PQL_CASES) {
  test(c.name, () => {
    assert.deepEqual(evaluateCase(c), c.expected, `${c.pql}${c.why ? ` (${c.why})` : ''}`);
  });
}
