import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stripSpans } from './ast.ts';
import { PQL_CASES } from './cases.ts';
import { fromJson, toJson, toJsonText } from './json.ts';
import { parseOrThrow } from './parser.ts';
import { print } from './print.ts';
import { randomAst } from './random-ast.ts';

test('text → AST → text → AST gives the same AST for every conformance case', () => {
  for (const c of PQL_CASES) {
    const ast = stripSpans(parseOrThrow(c.pql));
    const text = print(ast);
    assert.deepEqual(stripSpans(parseOrThrow(text)), ast, `${c.name}\n  ${c.pql}\n  ${text}`);
    assert.equal(print(parseOrThrow(text)), text, `printing is a fixed point: ${text}`);
  }
});

test('AST → pql/json → AST gives the same AST for every conformance case', () => {
  for (const c of PQL_CASES) {
    const ast = stripSpans(parseOrThrow(c.pql));
    const back = fromJson(JSON.parse(toJsonText(ast)));
    assert.ok(back.ok, `${c.name}: ${back.ok ? '' : JSON.stringify(back.errors)}`);
    assert.deepEqual(back.ast, ast, c.name);
  }
});

test('the printer writes canonical text', () => {
  const canonical = (text: string) => print(parseOrThrow(text));
  assert.equal(canonical('homeAddress.countryISO="CA" and(person.birthYear=1985)'), 'homeAddress.countryISO = "CA" and person.birthYear = 1985');
  assert.equal(canonical('CHAIN(xEvent,timestamp,[C0:WHAT(eventType.equals("x",false))WHEN(today)])'), 'chain(xEvent, timestamp, [C0: WHAT(eventType.equals("x", false)) WHEN(today)])');
  assert.equal(canonical('!(a)'), 'not (a)');
  assert.equal(canonical('(a or b) and c'), '(a or b) and c');
  assert.equal(canonical('a - (b - c)'), 'a - (b - c)');
  assert.equal(canonical('xEvent[a[b = 1 or ^^.person.gender = "f"]]'), 'xEvent[a[b = 1 or $1.person.gender = "f"]]');
  assert.equal(canonical('ts occurs on date(2019,12,31)'), 'ts occurs on date(2019, 12, 31)');
  assert.equal(canonical('ts occurs < 1 days before now'), 'ts occurs < 1 day before now');
  assert.equal(canonical('exists E from xEvent : E.x = 1'), 'exists E from xEvent where E.x = 1');
  assert.equal(canonical('let S = x.count() in S > 1'), 'let S = (x.count()) in (S > 1)');
  assert.equal(canonical('(exists E from xEvent) and a'), '(exists E from xEvent) and a');
  assert.equal(canonical('`now` = 1 and E = 2'), '`now` = 1 and E = 2');
  assert.equal(canonical('exists E from xEvent where `E` = E.x'), 'exists E from xEvent where `E` = E.x');
});

test('random ASTs survive print → parse and toJson → fromJson unchanged', () => {
  fc.assert(
    fc.property(fc.noShrink(fc.integer({ min: 0, max: 2 ** 31 - 1 })), (seed) => {
      const ast = randomAst(seed);
      const text = print(ast);
      assert.deepEqual(stripSpans(parseOrThrow(text)), ast, `seed ${seed}: ${text}`);
      const back = fromJson(toJson(ast));
      assert.ok(back.ok, `seed ${seed}: ${back.ok ? '' : JSON.stringify(back.errors)}`);
      assert.deepEqual(back.ast, ast);
    }),
    { numRuns: 1500 },
  );
});
