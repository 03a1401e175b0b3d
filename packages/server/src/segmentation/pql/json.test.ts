import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromJson, toJson, toJsonText } from './json.ts';
import { parseOrThrow } from './parser.ts';
import { print } from './print.ts';

/** The `pql/json` value of Adobe's `POST /segment/conversion` example, as the API returns it (a JSON string). */
const ADOBE_CONVERTED =
  '{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"country","object":{"nodeType":"fieldLookup","fieldName":"workAddress","object":{"nodeType":"parameterReference","position":1}}},{"nodeType":"literal","literalType":"String","value":"US"}]}';

const errorsOf = (input: unknown) => {
  const result = fromJson(input);
  assert.equal(result.ok, false, 'expected the JSON to be rejected');
  return result.ok ? [] : result.errors;
};

const field = (fieldName: string) => ({ nodeType: 'fieldLookup', fieldName, object: { nodeType: 'parameterReference', position: 1 } });
const str = (value: string) => ({ nodeType: 'literal', literalType: 'String', value });

test("toJson writes Adobe's conversion output exactly", () => {
  assert.equal(toJsonText(parseOrThrow('workAddress.country = "US"')), ADOBE_CONVERTED);
});

test("fromJson reads Adobe's conversion output, as text or as an object", () => {
  const fromText = fromJson(ADOBE_CONVERTED);
  assert.ok(fromText.ok);
  assert.equal(print(fromText.ast), 'workAddress.country = "US"');
  assert.deepEqual(fromJson(JSON.parse(ADOBE_CONVERTED)), fromText);
});

test('toJson drops spans', () => {
  assert.equal(JSON.stringify(toJson(parseOrThrow('a = 1'))).includes('span'), false);
});

test('fromJson rejects malformed documents, naming the JSON path of each problem', () => {
  assert.deepEqual(errorsOf('{"nodeType":'), [{ path: '$', message: errorsOf('{"nodeType":')[0].message }]);
  assert.match(errorsOf('{"nodeType":')[0].message, /^not valid JSON/);
  assert.deepEqual(errorsOf({ nodeType: 'frobnicate' }), [{ path: '$.nodeType', message: 'unknown nodeType "frobnicate" (expected one of literal, arrayLiteral, objectLiteral, parameterReference, scopeReference, variableReference, fieldLookup, fnApply, filter, lambda, timeAnchor, timePeriod, occurs, chain, quantifier, let, aggregateOver)' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fnApply', fnName: 'contanis', params: [] }), [{ path: '$.fnName', message: 'unknown function "contanis" (did you mean "contains"?)' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fieldLookup', fieldName: 'x' }), [{ path: '$', message: 'missing property "object"' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fnApply', fnName: '=', params: [field('a'), str('b')], extra: true }), [{ path: '$.extra', message: 'unexpected property "extra"' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fnApply', fnName: 'contains', params: [field('a')] }), [{ path: '$.params', message: 'contains takes 1 or 2 arguments after the receiver but got 0' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fnApply', fnName: 'contains', params: [field('a'), str('b'), str('no')] }), [{ path: '$.params[2]', message: 'the case-sensitivity flag of contains must be a Boolean literal' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fnApply', fnName: 'inSegment', params: [field('a')] }), [{ path: '$.params[0]', message: 'argument 1 of inSegment must be a String literal' }]);
  assert.deepEqual(errorsOf({ nodeType: 'literal', literalType: 'Integer', value: 1.5 }), [{ path: '$.value', message: 'an Integer literal needs a safe integer' }]);
  assert.deepEqual(errorsOf({ nodeType: 'literal', literalType: 'Date', value: '2025-02-30' }), [{ path: '$.value', message: 'a Date literal needs a valid date "YYYY-MM-DD"' }]);
  assert.deepEqual(errorsOf({ nodeType: 'variableReference', name: 'E' }), [{ path: '$.name', message: 'variable "E" is not bound here' }]);
  assert.deepEqual(errorsOf({ nodeType: 'scopeReference', up: 0 }), [{ path: '$', message: 'a scopeReference can only be the object of a fieldLookup' }]);
  assert.deepEqual(errorsOf({ nodeType: 'fieldLookup', fieldName: 'x', object: { nodeType: 'scopeReference', up: 0 } }), [{ path: '$.object.up', message: 'no implicit scope is open here (use parameterReference for the profile)' }]);
  assert.deepEqual(errorsOf({ nodeType: 'timePeriod', relation: 'last', unit: 'week' }), [{ path: '$', message: 'a timePeriod (this/last/next <unit>) can only be the time of an occurs or WHEN' }]);
});

test('fromJson reports every problem, not just the first', () => {
  const errors = errorsOf({
    nodeType: 'fnApply', fnName: 'and', params: [
      { nodeType: 'fnApply', fnName: 'frob', params: [] },
      { nodeType: 'occurs', timestamp: field('ts'), constraint: { kind: 'distance', comparison: '~', amount: -1, unit: 'fortnight', direction: 'around', time: { nodeType: 'timeAnchor', anchor: 'now' } } },
    ],
  });
  assert.deepEqual(errors.map((e) => e.path), ['$.params[0].fnName', '$.params[1].constraint.direction', '$.params[1].constraint.comparison', '$.params[1].constraint.amount', '$.params[1].constraint.unit']);
});

test('fromJson checks chains, quantifiers and scopes the way the parser does', () => {
  const xEvent = field('xEvent');
  const what = { nodeType: 'fnApply', fnName: '=', params: [{ nodeType: 'fieldLookup', fieldName: 'eventType', object: { nodeType: 'scopeReference', up: 0 } }, str('x')] };
  const chain = (steps: unknown[]) => ({ nodeType: 'chain', events: xEvent, orderBy: { nodeType: 'fieldLookup', fieldName: 'timestamp', object: { nodeType: 'scopeReference', up: 0 } }, steps });
  assert.ok(fromJson(chain([{ label: 'A', what, count: 5 }])).ok);
  assert.deepEqual(errorsOf(chain([])), [{ path: '$.steps', message: 'must be a non-empty array of steps' }]);
  assert.deepEqual(errorsOf(chain([{ label: 'A', what }, { label: 'A', what, count: 0 }])).map((e) => e.path), ['$.steps[1].label', '$.steps[1].count']);
  const generator = (variable: string) => ({ variable, source: xEvent });
  assert.deepEqual(errorsOf({ nodeType: 'quantifier', quantifier: 'select', generators: [generator('A'), generator('B')] }), [{ path: '$.generators', message: 'select takes exactly one generator' }]);
  assert.deepEqual(errorsOf({ nodeType: 'quantifier', quantifier: 'exists', generators: [generator('from')] }), [{ path: '$.generators[0].variable', message: 'must be a variable name (letters, digits, _) that is not a reserved word' }]);
  const climbing = { nodeType: 'filter', array: xEvent, condition: { nodeType: 'fieldLookup', fieldName: 'x', object: { nodeType: 'scopeReference', up: 1 } } };
  assert.deepEqual(errorsOf(climbing), [{ path: '$.condition.object.up', message: 'only 1 implicit scope(s) are open; climbing 1 reaches the profile, which is parameterReference 1' }]);
});
