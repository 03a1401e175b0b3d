import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PqlParseError } from './errors.ts';
import { parse, parseOrThrow } from './parser.ts';

const messages = (text: string): string[] => {
  const result = parse(text);
  assert.equal(result.ok, false, `expected "${text}" to be rejected`);
  return result.ok ? [] : result.errors.map((e) => e.message);
};

/** Each bad input and the exact messages it must produce, in order. */
const BAD_INPUTS: [string, string[]][] = [
  ['a = (1', ['line 1, column 7: expected ")" but found end of input']],
  ['homeAddress.country = ', ['line 1, column 23: expected an expression but found end of input']],
  ['', ['line 1, column 1: expected an expression but found end of input']],
  ['a and', ['line 1, column 6: expected an expression but found end of input']],
  ['a = 1 b', ['line 1, column 7: expected end of input or an operator but found "b"']],
  ['a)', ['line 1, column 2: expected end of input or an operator but found ")"']],
  ['a = 1 = 2', ['line 1, column 7: comparisons cannot be chained: join them with "and", or add parentheses (found "=")']],
  ['a.b.', ['line 1, column 5: expected a field or method name but found end of input']],
  ['a = 1 and\n  b = (2', ['line 2, column 9: expected ")" but found end of input']],
  // functions
  ['a.contanis("x")', ['line 1, column 3: unknown function "contanis" (did you mean "contains"?)']],
  ['foo(1)', ['line 1, column 1: unknown function "foo"']],
  ['contains("a")', ['line 1, column 1: "contains" is a method: write value.contains(...)']],
  ['a.if(1, 2, 3)', ['line 1, column 3: "if" is not a method: write if(...)']],
  ['a.contains()', ['line 1, column 1: contains takes 1 or 2 arguments but got 0']],
  ['x.contains("a", true, 1)', ['line 1, column 1: contains takes 1 or 2 arguments but got 3']],
  ['person.name.contains("a", "b")', ['line 1, column 27: the case-sensitivity flag of contains must be true or false']],
  ['x.topN(price, n)', ['line 1, column 15: argument 2 of topN must be a non-negative whole number']],
  ['inSegment(abc)', ['line 1, column 11: argument 1 of inSegment must be a string in double quotes']],
  // time
  ['ts occurs < 3 fortnights before now', ['line 1, column 15: expected a time unit (millisecond, second, minute, hour, day, week, month, year, decade, century, millennium) but found "fortnights"']],
  ['ts occurs < 3 days around now', ['line 1, column 20: expected "before", "after" or "from" but found "around"']],
  ['ts occurs < x days before now', ['line 1, column 13: expected a whole number of time units (as in 3 days) but found "x"']],
  ['ts occurs between today', ['line 1, column 24: expected "and" but found end of input']],
  ['date(2025, 2, 30)', ['line 1, column 15: day 30 is out of range (1 to 28)']],
  ['date(2025, 13, 1)', ['line 1, column 12: month 13 is out of range (1 to 12)']],
  ['date(2025, 1)', ['line 1, column 1: date takes year, month and day (and optionally hour, minute and second) but got 2 numbers']],
  // chain
  ['chain(xEvent, timestamp, [])', ['line 1, column 26: a chain needs at least one step, as in [A: WHAT(eventType = "x")]']],
  ['chain(xEvent, timestamp, [A: WHEN(today)])', ['line 1, column 27: step "A" needs WHAT(...)']],
  ['chain(xEvent, timestamp, [A: WHAT(x) COUNT(0)])', ['line 1, column 44: COUNT must be at least 1']],
  ['chain(xEvent, timestamp, [A: WHAT(x), A: WHAT(y)])', ['line 1, column 39: step label "A" is used twice in this chain']],
  ['chain(xEvent, timestamp, [A: WHAT(x) WHAT(y)])', ['line 1, column 38: WHAT appears twice in step "A"']],
  ['chain(xEvent timestamp)', ['line 1, column 14: expected "," but found "timestamp"']],
  // names and scopes
  ['^.x = 1', ['line 1, column 1: "^" can only be used inside a filter [...]']],
  ['xEvent[^^^.x = 1]', ['line 1, column 8: "^^^" climbs 3 levels but only 1 enclosing filter is open']],
  ['$0.x', ['line 1, column 1: parameters are numbered from $1']],
  ['exists from from xEvent', ['line 1, column 8: "from" is a reserved word and cannot name a variable']],
  ['(A, A) => A', ['line 1, column 5: parameter "A" is declared twice']],
  ['{"a": 1, "a": 2}', ['line 1, column 10: field "a" appears twice']],
  // characters
  ['"abc', ['line 1, column 1: unterminated string: the closing double quote is missing']],
  ['a #', ['line 1, column 3: unexpected character "#"']],
  ["a = 'x'", [`line 1, column 5: unexpected character "'" (strings use double quotes)`, `line 1, column 7: unexpected character "'" (strings use double quotes)`]],
];

test('bad inputs get precise messages with line and column', () => {
  for (const [text, expected] of BAD_INPUTS) assert.deepEqual(messages(text), expected, JSON.stringify(text));
});

test('an error names its offset, extent, what was found and what was expected', () => {
  const result = parse('chain(xEvent, timestamp, [A: WHAT(x) WHEN(< 3 days beside now)])');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.errors, [{
    message: 'line 1, column 52: expected "before", "after" or "from" but found "beside"',
    detail: 'expected "before", "after" or "from" but found "beside"',
    line: 1, column: 52, offset: 51, end: 57, found: '"beside"', expected: ['"before"', '"after"', '"from"'],
  }]);
});

test('errors in several list items are all reported, in source order', () => {
  assert.deepEqual(messages('[a.contanis("x"), b.contanis("y"), c = ]'), [
    'line 1, column 4: unknown function "contanis" (did you mean "contains"?)',
    'line 1, column 21: unknown function "contanis" (did you mean "contains"?)',
    'line 1, column 40: expected an expression but found "]"',
  ]);
  assert.deepEqual(messages('x in [1, 2 +, 3, a.frob()]'), ['line 1, column 13: expected an expression but found ","', 'line 1, column 20: unknown function "frob"']);
  assert.equal(messages('chain(xEvent, timestamp, [A: WHAT(a.nope()), B: WHAT(x) COUNT(0), A: WHAT(y)])').length, 3);
});

test('nesting too deep is an error, not a stack overflow', () => {
  assert.deepEqual(messages(`${'('.repeat(500)}a${')'.repeat(500)}`), ['line 1, column 101: expression is nested too deeply (more than 200 levels)']);
  assert.deepEqual(messages(`${'not '.repeat(10_000)}a`), ['line 1, column 801: expression is nested too deeply (more than 200 levels)']);
  assert.match(messages(Array(2000).fill('a').join(' + '))[0], /nested too deeply \(more than 1000 levels\)/);
  assert.match(messages(`${'a.'.repeat(3000)}b`)[0], /nested too deeply/);
  assert.match(messages(`${'xEvent['.repeat(300)}a${']'.repeat(300)}`)[0], /nested too deeply/);
});

test('parseOrThrow throws a PqlParseError carrying every error', () => {
  assert.throws(() => parseOrThrow('[a.frob(), b.frob()]'), (error: unknown) => {
    assert.ok(error instanceof PqlParseError);
    assert.equal(error.errors.length, 2);
    assert.equal(error.message, 'line 1, column 4: unknown function "frob"\nline 1, column 14: unknown function "frob"');
    return true;
  });
});
