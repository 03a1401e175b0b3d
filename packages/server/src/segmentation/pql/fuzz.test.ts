import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PQL_CASES } from './cases.ts';
import { parse } from './parser.ts';
import { print } from './print.ts';

/** Parses, and checks the promise: an AST or well-formed errors, never an exception, quickly. */
function parsesSafely(text: string): void {
  const started = performance.now();
  const result = parse(text);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 250, `took ${elapsed.toFixed(0)} ms on ${JSON.stringify(text.slice(0, 80))}`);
  if (result.ok) {
    assert.doesNotThrow(() => print(result.ast));
    return;
  }
  assert.ok(result.errors.length > 0);
  for (const e of result.errors) {
    assert.ok(e.offset >= 0 && e.offset <= text.length && e.end >= e.offset && e.end <= text.length, `bad offsets in ${JSON.stringify(e)}`);
    assert.ok(e.line >= 1 && e.column >= 1, `bad position in ${JSON.stringify(e)}`);
    assert.match(e.message, /^line \d+, column \d+: ./);
  }
}

const TOKENS = [
  'a', 'x.y', 'xEvent', 'E', '$1', '^', '^^', '.', ',', ':', '(', ')', '[', ']', '{', '}', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '!', '=>',
  'and', 'or', 'not', 'in', 'notIn', 'like', 'occurs', 'on', 'before', 'after', 'from', 'between', 'this', 'last', 'next', 'now', 'today', 'yesterday', 'tomorrow',
  'days', 'hours', 'week', 'century', 'millennia', 'exists', 'forall', 'select', 'where', 'let', 'over', 'sum', 'count', 'if', 'chain', 'CHAIN', 'WHAT', 'WHERE', 'WHEN', 'COUNT',
  'date', 'inSegment', 'contains', 'topN', 'groupBy', 'map', 'mapEntry', 'true', 'false', '1', '-2', '3.5', '"s"', '"', '`q`', '`', '\n', '#', "'",
];

const CASE_TEXTS = PQL_CASES.map((c) => c.pql);

test('arbitrary strings never make the parser throw', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), parsesSafely), { numRuns: 1500 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), parsesSafely), { numRuns: 500 });
});

test('random sequences of PQL tokens never make the parser throw', () => {
  const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((tokens) => tokens.join(' '));
  fc.assert(fc.property(soup, parsesSafely), { numRuns: 2000 });
});

test('mutations of valid expressions never make the parser throw', () => {
  const mutation = fc.record({
    text: fc.constantFrom(...CASE_TEXTS),
    at: fc.nat(),
    length: fc.integer({ min: 0, max: 12 }),
    insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })),
    duplicate: fc.boolean(),
  });
  fc.assert(
    fc.property(mutation, ({ text, at, length, insert, duplicate }) => {
      const i = at % (text.length + 1);
      const mutated = duplicate ? text.slice(0, i) + text.slice(i, i + length) + text.slice(i) : text.slice(0, i) + insert + text.slice(i + length);
      parsesSafely(mutated);
    }),
    { numRuns: 3000 },
  );
});

test('pathological inputs are rejected quickly', () => {
  const inputs = [
    '('.repeat(100_000),
    '['.repeat(50_000),
    `${'not '.repeat(50_000)}a`,
    `${'a.'.repeat(100_000)}b`,
    Array(20_000).fill('a').join(' and '),
    `(${Array(20_000).fill('a').join(', ')}`,
    'sum '.repeat(20_000),
    `${'exists E from xEvent where '.repeat(1_000)}true`,
    '"'.repeat(100_001),
    `x in [${'1, '.repeat(50_000)}]`,
  ];
  for (const text of inputs) {
    const started = performance.now();
    const result = parse(text);
    assert.ok(performance.now() - started < 1000, `slow on ${text.slice(0, 40)}…`);
    assert.ok(result.ok || result.errors.length > 0);
  }
});
