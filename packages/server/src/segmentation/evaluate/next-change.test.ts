/**
 * `nextChangeAt`: the instant a timer wheel should re-evaluate an audience without new data.
 * Checked against brute force: the value never changes before the reported instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseOrThrow } from '../pql/index.ts';
import type { JsonObject } from '../../storage/json.ts';
import { compileExpression, type CompiledExpression } from './compile.ts';
import type { EvaluationInput } from './frame.ts';

const NOW = Date.parse('2025-06-18T15:00:00Z');
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const ev = (id: string, timestamp: string, eventType: string): JsonObject => ({ _id: id, timestamp, eventType });

test('a purchase in the last 3 hours exits exactly when the 3 hours pass', () => {
  const q = compileExpression(parseOrThrow('chain(xEvent, timestamp, [A: WHAT(eventType = "buy") WHEN(< 3 hours before now)])'));
  const input = { profile: {}, events: [ev('1', '2025-06-18T13:30:00Z', 'buy')], now: NOW };
  assert.equal(q.matches(input), true);
  assert.equal(q.nextChangeAt(input), at('2025-06-18T16:30:00Z'));
  assert.equal(q.matches({ ...input, now: at('2025-06-18T16:29:59.999Z') }), true);
  assert.equal(q.matches({ ...input, now: at('2025-06-18T16:30:00Z') }), false);
});

test('occurs <= n before now leaves one millisecond later than <', () => {
  const q = compileExpression(parseOrThrow('bought occurs <= 3 hours before now'));
  const input = { profile: { bought: '2025-06-18T13:30:00Z' }, events: [], now: NOW };
  assert.equal(q.nextChangeAt(input), at('2025-06-18T16:30:00Z'));
  assert.equal(q({ ...input, now: at('2025-06-18T16:30:00Z') }), true);
  assert.equal(q({ ...input, now: at('2025-06-18T16:30:00.001Z') }), false);
});

test('WHEN(today) changes at the next midnight; this week on Monday; currentMonth() on the 1st', () => {
  const today = compileExpression(parseOrThrow('chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(today)])'));
  assert.equal(today.nextChangeAt({ profile: {}, events: [ev('1', '2025-06-18T09:00:00Z', 'x')], now: NOW }), at('2025-06-19T00:00:00Z'));
  const week = compileExpression(parseOrThrow('ts occurs this week'));
  assert.equal(week.nextChangeAt({ profile: { ts: '2025-06-17T00:00:00Z' }, events: [], now: NOW }), at('2025-06-23T00:00:00Z'));
  const month = compileExpression(parseOrThrow('birthMonth = currentMonth()'));
  assert.equal(month.nextChangeAt({ profile: { birthMonth: 6 }, events: [], now: NOW }), at('2025-07-01T00:00:00Z'));
});

test('a future event enters a window when now reaches it; a query without time never changes', () => {
  const q = compileExpression(parseOrThrow('xEvent[timestamp occurs < 1 day before now].count() > 0'));
  assert.equal(q.nextChangeAt({ profile: {}, events: [ev('1', '2025-06-18T18:00:00Z', 'x')], now: NOW }), at('2025-06-18T18:00:00Z'));
  const timeless = compileExpression(parseOrThrow('homeAddress.countryCode = "US"'));
  assert.equal(timeless.readsClock, false);
  assert.equal(timeless.nextChangeAt({ profile: {}, events: [], now: NOW }), undefined);
});

test('months: an edge that clamps to a month end is found exactly, re-entry included', () => {
  // 31 March − 1 month = 28 February (time.ts), so the edge of `<= 1 month before now` stands
  // still at 28 Feb from 28 to 31 March at each time of day, and jumps back at each midnight.
  const q = compileExpression(parseOrThrow('ts occurs <= 1 month before now'));
  const input = { profile: { ts: '2025-02-28T12:00:00Z' }, events: [], now: at('2025-03-20T00:00:00Z') };
  const leaves = realChange(q, input);
  assert.equal(leaves, at('2025-03-28T12:00:00.001Z'));
  assert.equal(q({ ...input, now: leaves - 1 }), true);
  assert.equal(q({ ...input, now: leaves }), false);
  const returns = realChange(q, { ...input, now: leaves });
  assert.equal(returns, at('2025-03-29T00:00:00Z'));
  assert.equal(q({ ...input, now: returns - 1 }), false);
  assert.equal(q({ ...input, now: returns }), true);
});

/** Follows nextChangeAt (which may be conservative) to the first instant the value really changes. */
function realChange(q: CompiledExpression, input: EvaluationInput): number {
  const value = JSON.stringify(q(input));
  let now = input.now;
  for (let i = 0; i < 5; i++) {
    now = q.nextChangeAt({ ...input, now }) ?? Infinity;
    if (JSON.stringify(q({ ...input, now })) !== value) return now;
  }
  return Infinity;
}

const QUERIES = [
  'chain(xEvent, timestamp, [A: WHAT(eventType = "a") WHEN(< 2 hours before now), B: WHAT(eventType = "b") WHEN(< 90 minutes before now)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "a") WHEN(< 3 hours before now) COUNT(2)])',
  'not(chain(xEvent, timestamp, [A: WHAT(eventType = "b") WHEN(today)]))',
  'xEvent[timestamp occurs = 2 hours before now].count()',
  'exists E from xEvent where E.timestamp occurs > 1 hour before now',
  'forall E from xEvent where E.timestamp occurs after now',
  'xEvent[timestamp occurs between yesterday and now].count()',
];

test('property: the value never changes between now and nextChangeAt', () => {
  const events = fc.array(fc.record({ type: fc.constantFrom('a', 'b'), minutes: fc.integer({ min: -600, max: 120 }) }), { maxLength: 6 });
  fc.assert(
    fc.property(fc.constantFrom(...QUERIES), events, fc.integer({ min: 0, max: 48 * 60 }), (pql, raw, probeMinutes) => {
      const q = compileExpression(parseOrThrow(pql));
      const input = { profile: {}, events: raw.map((r, i) => ev(`e${i}`, new Date(NOW + r.minutes * 60_000).toISOString(), r.type)), now: NOW };
      const before = JSON.stringify(q(input));
      const next = q.nextChangeAt(input) ?? Infinity;
      const probe = NOW + probeMinutes * 60_000 + 17;
      if (probe < next) assert.equal(JSON.stringify(q({ ...input, now: probe })), before, `${pql} changed at ${new Date(probe).toISOString()} before ${next}`);
    }),
    { numRuns: 1500 },
  );
  void HOUR;
});
