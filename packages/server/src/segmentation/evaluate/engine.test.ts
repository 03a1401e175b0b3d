/**
 * Focused promises of the in-memory engine beyond the shared table: chain ordering, `^`
 * up-references, regex safety, time bounds equal to `occursIn`, and compile errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMPARISONS, TIME_UNITS, parseOrThrow } from '../pql/index.ts';
import { occursIn, type ResolvedConstraint, type TimeInterval } from '../pql/time.ts';
import type { JsonObject } from '../../storage/json.ts';
import { constraintBounds, inBounds } from './bounds.ts';
import { compileExpression } from './compile.ts';
import { PqlCompileError } from './errors.ts';
import { likeMatches } from './like.ts';
import { compileJavaRegex, LINEAR_ENGINE } from './regex.ts';

const NOW = Date.parse('2025-06-18T15:00:00Z');
const ev = (id: string, timestamp: string, eventType: string, extra: JsonObject = {}): JsonObject => ({ _id: id, timestamp, eventType, ...extra });
const run = (pql: string, events: JsonObject[], profile: JsonObject = {}) => compileExpression(parseOrThrow(pql)).matches({ profile, events, now: NOW });

test('chain: A then B is found whenever any A precedes any B, in any storage order', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ type: fc.constantFrom('a', 'b', 'c'), minute: fc.integer({ min: 0, max: 30 }) }), { maxLength: 12 }), (raw) => {
      const events = raw.map((r, i) => ev(`e${i}`, new Date(NOW - 3_600_000 + r.minute * 60_000).toISOString(), r.type));
      const times = (type: string) => raw.filter((r) => r.type === type).map((r) => r.minute);
      const expected = times('a').some((a) => times('b').some((b) => b > a));
      assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b")])', events), expected);
      const needTwo = times('a').length > 0 && times('b').filter((b) => b > Math.min(...times('a'))).length >= 2;
      assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b") COUNT(2)])', events), needTwo);
    }),
    { numRuns: 400 },
  );
});

test('chain: COUNT(n) counts only events after the previous step, and the next step starts after the n-th', () => {
  const events = [ev('1', '2025-06-18T08:00:00Z', 'b'), ev('2', '2025-06-18T09:00:00Z', 'a'), ev('3', '2025-06-18T10:00:00Z', 'b'), ev('4', '2025-06-18T11:00:00Z', 'c'), ev('5', '2025-06-18T12:00:00Z', 'b')];
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b") COUNT(2)])', events), true);
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b") COUNT(2), C: WHAT(eventType = "c")])', events), false);
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b"), C: WHAT(eventType = "c")])', events), true);
});

test('chain: an event can serve only one step, and ties in time are not an order', () => {
  const one = [ev('1', '2025-06-18T08:00:00Z', 'x')];
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "x"), B: WHAT(eventType = "x")])', one), false);
  const tied = [ev('1', '2025-06-18T08:00:00Z', 'x'), ev('2', '2025-06-18T08:00:00Z', 'x')];
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "x"), B: WHAT(eventType = "x")])', tied), false);
  assert.equal(run('chain(xEvent, timestamp, [A: WHAT(eventType = "x") COUNT(2)])', tied), true);
});

test('up-references climb to the event and to the profile from nested filters', () => {
  const events = [ev('1', '2025-06-18T08:00:00Z', 'buy', { items: [{ sku: 'A', tags: [{ t: 'x' }] }] }), ev('2', '2025-06-18T09:00:00Z', 'view', { items: [{ sku: 'B', tags: [{ t: 'y' }] }] })];
  const q = compileExpression(parseOrThrow('xEvent[items[tags[t = "x" and ^^.eventType = "buy" and ^^^.tier = "gold"]]]._id'));
  assert.deepEqual(q({ profile: { tier: 'gold' }, events, now: NOW }), ['1']);
  assert.deepEqual(q({ profile: { tier: 'silver' }, events, now: NOW }), []);
  const viaMethod = compileExpression(parseOrThrow('xEvent.filter(items.exists(^.eventType = "view" and sku = "B")).count()'));
  assert.equal(viaMethod({ profile: {}, events, now: NOW }), 1);
});

test('like never backtracks exponentially and handles surrogate pairs as one character', () => {
  const text = 'a'.repeat(20_000);
  const started = performance.now();
  assert.equal(likeMatches(text, `${'%a'.repeat(30)}%b`), false);
  assert.ok(performance.now() - started < 2000);
  assert.equal(likeMatches('x😀y', 'x_y'), true);
  assert.equal(likeMatches('50%', '50%'), true);
  assert.equal(likeMatches('', '%'), true);
  assert.equal(likeMatches('', '_'), false);
});

test('regexes: catastrophic patterns run in linear time or are refused, and bad ones are compile errors', () => {
  if (LINEAR_ENGINE) {
    const q = compileExpression(parseOrThrow('s.matches("^(a+)+$")'));
    const started = performance.now();
    assert.equal(q({ profile: { s: `${'a'.repeat(5_000)}!` }, events: [], now: NOW }), false);
    assert.ok(performance.now() - started < 1000, 'linear engine');
  }
  assert.throws(() => compileJavaRegex('(a+)+\\1'), (e: unknown) => e instanceof PqlCompileError && e.code === 'unsafe_regex');
  assert.throws(() => compileExpression(parseOrThrow('s.matches("(")')), (e: unknown) => e instanceof PqlCompileError && e.code === 'invalid_regex');
  assert.throws(() => compileExpression(parseOrThrow('s.matches("a*+")')), (e: unknown) => e instanceof PqlCompileError && e.code === 'invalid_regex');
  // A pattern that arrives as data and is unsafe or invalid simply does not match.
  const dynamic = compileExpression(parseOrThrow('s.matches(p)'));
  assert.equal(dynamic({ profile: { s: 'aaa', p: '(' }, events: [], now: NOW }), false);
  assert.equal(dynamic({ profile: { s: 'aaa', p: 'a{2}' }, events: [], now: NOW }), true);
});

test('regexes: Java syntax is translated', () => {
  const value = (pql: string, profile: JsonObject) => compileExpression(parseOrThrow(pql))({ profile, events: [], now: NOW });
  assert.equal(value('s.matches("(?i)^JOHN")', { s: 'john' }), true);
  assert.equal(value('s.matches("\\\\Ajo")', { s: 'john' }), true);
  assert.equal(value('s.matches("\\\\p{Digit}+")', { s: 'ab12' }), true);
  assert.equal(value('s.regexGroup("(\\\\d+)-(\\\\d+)", 2)', { s: 'tel 555-1234' }), '1234');
  assert.equal(value('s.regexGroup("(x)?y", 1)', { s: 'y' }), null);
  assert.equal(value('s.regexGroup("\\\\d+")', { s: 'a42' }), '42');
});

test('constraint bounds agree with occursIn for every form', () => {
  const instant = fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2060-01-01') });
  const interval: fc.Arbitrary<TimeInterval> = fc.oneof(
    instant.map((t) => ({ start: t, end: t, instant: true })),
    fc.tuple(instant, fc.integer({ min: 1, max: 400 * 86_400_000 })).map(([t, d]) => ({ start: t, end: t + d, instant: false })),
  );
  const direction = fc.constantFrom('before' as const, 'after' as const, 'from' as const);
  const constraint: fc.Arbitrary<ResolvedConstraint> = fc.oneof(
    interval.map((time) => ({ kind: 'on' as const, time })),
    fc.record({ direction, time: interval }).map((c) => ({ kind: 'direction' as const, ...c })),
    fc.record({ from: interval, to: interval }).map((c) => ({ kind: 'between' as const, ...c })),
    fc.record({ comparison: fc.constantFrom(...COMPARISONS), amount: fc.integer({ min: 0, max: 40 }), unit: fc.constantFrom(...TIME_UNITS), direction, time: interval }).map((c) => ({ kind: 'distance' as const, ...c })),
  );
  fc.assert(
    fc.property(constraint, instant, fc.integer({ min: -3, max: 3 }), (c, ts, nudge) => {
      const b = constraintBounds(c);
      for (const t of [ts, b.lo + nudge, b.hi + nudge].filter(Number.isFinite)) assert.equal(inBounds(b, t), occursIn(t, c), JSON.stringify({ c, t }));
    }),
    { numRuns: 3000 },
  );
});

test('compile errors are typed; evaluation never throws on odd data', () => {
  assert.throws(() => compileExpression({ nodeType: 'fnApply', fnName: 'frobnicate', params: [] }), (e: unknown) => e instanceof PqlCompileError && e.code === 'unknown_function');
  assert.throws(() => compileExpression({ nodeType: 'variableReference', name: 'Q' }), (e: unknown) => e instanceof PqlCompileError && e.code === 'unknown_variable');
  const q = compileExpression(parseOrThrow('a.constructor.isNull() and a.__proto__.isNull() and a.toString.isNull()'));
  assert.equal(q({ profile: { a: {} }, events: [], now: NOW }), true);
  const odd = compileExpression(parseOrThrow('xEvent[timestamp occurs today].count() + a.b.sum() + s.getYear()'));
  assert.equal(odd({ profile: { a: 'x', s: 5 }, events: [{ timestamp: 7 }, { timestamp: null }] as JsonObject[], now: NOW }), null);
});
