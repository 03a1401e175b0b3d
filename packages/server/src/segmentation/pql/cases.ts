/**
 * The PQL conformance table: one list of cases (expression, profile, events, now, memberships,
 * expected value) that every evaluation engine runs — the in-memory evaluator for streaming and
 * edge, the SQL compiler for batch — so the engines agree by construction. The case type and the
 * evaluation contract are in `cases/fixtures.ts`; the null and time rules in docs/pql.md.
 *
 * @example
 *   for (const c of PQL_CASES) {
 *     const value = evaluate(parseOrThrow(c.pql), { profile: c.profile, events: c.events, now: Date.parse(c.now), segments: c.segments ?? [] });
 *     assert.deepEqual(typeof c.expected === 'boolean' ? asAudience(value) : value, c.expected, c.name);
 *   }
 */
import { ADOBE_CASES } from './cases/adobe.ts';
import { BASIC_CASES } from './cases/basics.ts';
import { CHAIN_CASES } from './cases/chain.ts';
import { EVENT_CASES } from './cases/events.ts';
import type { PqlCase } from './cases/fixtures.ts';
import { ARRAY_CASES, DATE_FUNCTION_CASES, STRING_CASES } from './cases/functions.ts';
import { TIME_CASES } from './cases/time.ts';

export type { JsonValue, PqlCase, XdmEvent } from './cases/fixtures.ts';
export { NOW } from './cases/fixtures.ts';

export const PQL_CASES: readonly PqlCase[] = [
  ...BASIC_CASES,
  ...STRING_CASES,
  ...ARRAY_CASES,
  ...DATE_FUNCTION_CASES,
  ...TIME_CASES,
  ...EVENT_CASES,
  ...CHAIN_CASES,
  ...ADOBE_CASES,
];
