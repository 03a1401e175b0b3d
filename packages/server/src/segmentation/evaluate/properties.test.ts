/**
 * Properties of the in-memory engine over random profiles and events: `not` negates, `and` and
 * `or` commute, `count()` is the length of a filter, and no case's expression ever throws on
 * random data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseOrThrow, PQL_CASES } from '../pql/index.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { compileExpression } from './compile.ts';

const NOW = Date.parse('2025-06-18T15:00:00Z');
const KEYS = ['a', 'b', 'eventType', 'timestamp', 'productListItems', 'SKU', 'price', 'person', 'homeAddress', 'countryCode', 'orders', 'commerce', 'order', 'priceTotal'];

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('US', 'a', '', 'PS', '2025-06-18T10:00:00Z', '2025-06-17', 'not a date', 'commerce.checkouts'),
);
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 })),
})).value;
const object = fc.dictionary(fc.constantFrom(...KEYS), json, { maxKeys: 6 }) as fc.Arbitrary<JsonObject>;
const input = fc.record({ profile: object, events: fc.array(object, { maxLength: 4 }), offset: fc.integer({ min: -1e10, max: 1e10 }) });

const COMPILED = PQL_CASES.map((c) => ({ name: c.name, q: compileExpression(parseOrThrow(c.pql)) }));

test('evaluation never throws on random profiles and events, for every case expression', () => {
  fc.assert(
    fc.property(input, ({ profile, events, offset }) => {
      for (const { name, q } of COMPILED) {
        const data = { profile, events, now: NOW + offset, inSegment: (id: string) => id.length % 2 === 0 };
        assert.doesNotThrow(() => q(data), name);
        assert.doesNotThrow(() => q.nextChangeAt(data), name);
      }
    }),
    { numRuns: 150 },
  );
});

const PREDICATES = ['a = 1', 'b.contains("a")', 'a > b', 'a in [1, "US", true]', 'homeAddress.countryCode = "US"', 'timestamp occurs < 1 day before now', 'a.isNull()', 'orders.count() >= 1'];

test('not(q) is the negation of q, and and/or commute', () => {
  const queries = PREDICATES.map((p) => ({ p, q: compileExpression(parseOrThrow(p)), not: compileExpression(parseOrThrow(`not (${p})`)) }));
  fc.assert(
    fc.property(object, fc.integer({ min: 0, max: PREDICATES.length - 1 }), fc.integer({ min: 0, max: PREDICATES.length - 1 }), (profile, i, j) => {
      const data = { profile, events: [], now: NOW };
      const x = queries[i];
      assert.equal(x.not(data), x.q(data) !== true);
      const y = PREDICATES[j];
      for (const op of ['and', 'or']) {
        const ab = compileExpression(parseOrThrow(`(${x.p}) ${op} (${y})`))(data);
        const ba = compileExpression(parseOrThrow(`(${y}) ${op} (${x.p})`))(data);
        assert.equal(ab, ba);
      }
    }),
    { numRuns: 300 },
  );
});

test('count() of a filter is the length of the filter', () => {
  const filtered = compileExpression(parseOrThrow('xEvent[eventType = "commerce.checkouts" or price > 0]'));
  const counted = compileExpression(parseOrThrow('xEvent[eventType = "commerce.checkouts" or price > 0].count()'));
  fc.assert(
    fc.property(input, ({ profile, events }) => {
      const data = { profile, events, now: NOW };
      const list = filtered(data);
      assert.ok(Array.isArray(list));
      assert.equal(counted(data), list.length);
    }),
    { numRuns: 300 },
  );
});
