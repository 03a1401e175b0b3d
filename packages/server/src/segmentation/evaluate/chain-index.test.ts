/**
 * The chain's fast path (shared event-type index, `WHEN` windows found by binary search, time
 * bounds shared between audiences) answers exactly as the plain scan: each random chain is
 * checked against the same chain rewritten so that no step has an indexable key and every
 * `WHEN` is an `occurs` test inside `WHERE` (which the fast path cannot use), over the same and
 * over fresh events arrays; `nextChangeAt` is checked against the rewrite that keeps `WHEN`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseOrThrow } from '../pql/index.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { compileExpression } from './compile.ts';

const NOW = Date.parse('2025-06-18T15:00:00Z');
const MINUTE = 60_000;

const WHATS = [
  'eventType = "a"', '"b" = eventType', 'eventType.equals("a", false)', 'eventType.equals("B", true)', 'eventType.equals("b")',
  'eventType = "a" and price > 2', 'price > 2 and eventType.equals("A", false)', 'price > 0', 'web.type = "b"',
];
const WHERES = ['', 'price > 1', 'eventType = "b"', 'eventType.equals("A", false)'];
const WHENS = ['', 'today', 'yesterday', '<= 24 hours before now', '< 2 days before now', '> 1 days before now', '= 1 days before today', '!= 1 days before today', 'after now', 'before now', 'between yesterday and now', 'last week'];

interface Step { what: string; where: string; when: string; count: number }

const eventArb: fc.Arbitrary<JsonObject> = fc.record({
  eventType: fc.constantFrom<JsonValue>('a', 'A', 'b', 'B', 'c', null, 7, ['a'], { x: 'a' }),
  // Window edges for the default clock (midnights, now − 24 h, now − 2 days, now) come up often.
  minute: fc.oneof(fc.integer({ min: -4 * 24 * 60, max: 24 * 60 }), fc.constantFrom(-900, -2340, -1440, -2880, 0, 540, -900 - 6 * 1440)),
  timestamp: fc.constantFrom('iso', 'iso', 'iso', 'iso', 'bad', 'missing'),
  price: fc.integer({ min: 0, max: 4 }),
  webType: fc.constantFrom<JsonValue>('a', 'b', null),
}).map((r) => {
  const event: JsonObject = { eventType: r.eventType, price: r.price, web: { type: r.webType } };
  if (r.timestamp === 'iso') event.timestamp = new Date(NOW + r.minute * MINUTE).toISOString();
  else if (r.timestamp === 'bad') event.timestamp = 'not a time';
  return event;
});

const stepArb: fc.Arbitrary<Step> = fc.record({
  what: fc.constantFrom(...WHATS),
  where: fc.constantFrom(...WHERES),
  when: fc.constantFrom(...WHENS),
  count: fc.integer({ min: 1, max: 3 }),
});

const chainText = (steps: Step[], form: (s: Step) => string) => `chain(xEvent, timestamp, [${steps.map((s, i) => `S${i}: ${form(s)}`).join(', ')}])`;
const countText = (s: Step) => (s.count === 1 ? '' : ` COUNT(${s.count})`);

/** As written: keys and `WHEN` visible to the fast path. */
const original = (s: Step) => `WHAT(${s.what})${s.where ? ` WHERE(${s.where})` : ''}${s.when ? ` WHEN(${s.when})` : ''}${countText(s)}`;
/** No key (`or false` hides it), `WHEN` kept: the plain scan, recording the same time checks. */
const unkeyed = (s: Step) => `WHAT((${s.what}) or false)${s.where ? ` WHERE((${s.where}) or false)` : ''}${s.when ? ` WHEN(${s.when})` : ''}${countText(s)}`;
/** No key and no `WHEN`: the window is an `occurs` test on the ordering field. */
const scanned = (s: Step) => {
  const conditions = [s.where ? `((${s.where}) or false)` : '', s.when ? `timestamp occurs ${s.when}` : ''].filter((c) => c !== '');
  return `WHAT((${s.what}) or false)${conditions.length > 0 ? ` WHERE(${conditions.join(' and ')})` : ''}${countText(s)}`;
};

test('a chain answers the same through the index and windows as through a plain scan', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), fc.array(fc.array(stepArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), fc.oneof(fc.constant(0), fc.integer({ min: -2 * 24 * 60, max: 2 * 24 * 60 })), (events, chains, shift) => {
      const now = NOW + shift * MINUTE;
      // Several audiences over one events array share its order and indexes; a copy rebuilds them.
      const shared = { profile: {}, events, now };
      for (const steps of chains) {
        const fast = compileExpression(parseOrThrow(chainText(steps, original)));
        const plain = compileExpression(parseOrThrow(chainText(steps, scanned)));
        const recording = compileExpression(parseOrThrow(chainText(steps, unkeyed)));
        const expected = plain.matches({ profile: {}, events: events.slice(), now });
        assert.equal(fast.matches(shared), expected, chainText(steps, original));
        assert.equal(fast.matches({ profile: {}, events: events.slice(), now }), expected);
        assert.equal(fast.nextChangeAt(shared), recording.nextChangeAt({ profile: {}, events: events.slice(), now }), chainText(steps, original));
      }
    }),
    { numRuns: 250 },
  );
});

test('audiences with the same WHEN share its bounds but each sees its own clock', () => {
  const events: JsonObject[] = Array.from({ length: 12 }, (_, i) => ({ eventType: i % 2 === 0 ? 'a' : 'b', timestamp: new Date(NOW - i * 3 * 3_600_000).toISOString() }));
  const first = compileExpression(parseOrThrow('chain(xEvent, timestamp, [A: WHAT(eventType = "b") WHEN(today)])'));
  const second = compileExpression(parseOrThrow('chain(xEvent, timestamp, [B: WHAT(eventType = "b") WHEN(today)])'));
  // 15:00 today: the "b" event at 12:00 is today; one day later no "b" event is.
  assert.equal(first.matches({ profile: {}, events, now: NOW }), true);
  assert.equal(second.matches({ profile: {}, events, now: NOW + 24 * 3_600_000 }), false);
  assert.equal(first.matches({ profile: {}, events, now: NOW }), true);
  assert.equal(first.nextChangeAt({ profile: {}, events, now: NOW }), Date.parse('2025-06-19T00:00:00Z'));
});

test('a WHEN window found by binary search keeps the events exactly on its edges', () => {
  const at = (iso: string, eventType = 'a'): JsonObject => ({ eventType, timestamp: iso });
  // Enough events for the index; only the edge event is of type "b".
  const filler = Array.from({ length: 10 }, (_, i) => at(new Date(NOW - (i + 1) * 7 * 3_600_000).toISOString()));
  const holdsWith = (edge: string, when: string) =>
    compileExpression(parseOrThrow(`chain(xEvent, timestamp, [S: WHAT(eventType = "b") WHEN(${when})])`)).matches({ profile: {}, events: [...filler, at(edge, 'b')], now: NOW });
  assert.equal(holdsWith('2025-06-18T00:00:00.000Z', 'today'), true);
  assert.equal(holdsWith('2025-06-17T23:59:59.999Z', 'today'), false);
  assert.equal(holdsWith('2025-06-17T15:00:00.000Z', '<= 24 hours before now'), true);
  assert.equal(holdsWith('2025-06-17T15:00:00.000Z', '< 24 hours before now'), false);
  assert.equal(holdsWith('2025-06-18T15:00:00.000Z', 'between yesterday and now'), true);
  assert.equal(holdsWith('2025-06-18T15:00:00.000Z', 'before now'), false);
  assert.equal(holdsWith('2025-06-18T15:00:00.000Z', 'after now'), false);
  assert.equal(holdsWith('2025-06-18T15:00:00.001Z', 'after now'), true);
});
