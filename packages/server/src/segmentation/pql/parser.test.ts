import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripSpans, type Expr } from './ast.ts';
import { PQL_CASES } from './cases.ts';
import { parse, parseOrThrow } from './parser.ts';

const ast = (text: string): Expr => stripSpans(parseOrThrow(text));
const same = (a: string, b: string) => assert.deepEqual(ast(a), ast(b), `${a}  ≠  ${b}`);
const profileField = (...names: string[]): Expr =>
  names.reduce<Expr>((object, fieldName) => ({ nodeType: 'fieldLookup', fieldName, object }), { nodeType: 'parameterReference', position: 1 });

test('every expression of the conformance table parses', () => {
  for (const c of PQL_CASES) {
    const result = parse(c.pql);
    assert.ok(result.ok, `${c.name}: ${c.pql}\n${result.ok ? '' : result.errors.map((e) => e.message).join('\n')}`);
  }
});

test("Adobe's converted example has Adobe's pql/json shape", () => {
  assert.deepEqual(ast('workAddress.country = "US"'), {
    nodeType: 'fnApply',
    fnName: '=',
    params: [profileField('workAddress', 'country'), { nodeType: 'literal', literalType: 'String', value: 'US' }],
  });
});

test('every node carries its source span', () => {
  const parsed = parseOrThrow('a = 1 and\n  b.contains("x")');
  assert.deepEqual(parsed.span, { start: 0, end: 27, line: 1, column: 1 });
  assert.equal(parsed.nodeType, 'fnApply');
  const right = parsed.nodeType === 'fnApply' ? parsed.params[1] : undefined;
  assert.deepEqual(right?.span, { start: 12, end: 27, line: 2, column: 3 });
});

test('operators bind as documented: or < and < not < comparison < + - < * / % < unary minus < postfix', () => {
  same('a or b and c', 'a or (b and c)');
  same('not a = 1 and b', '(not (a = 1)) and b');
  same('a = 1 + 2 * 3', 'a = (1 + (2 * 3))');
  same('a - b - c', '(a - b) - c');
  same('-a.b', '-(a.b)');
  same('x.y in [1, 2] or z like "%a"', '(x.y in [1, 2]) or (z like "%a")');
  same('ts occurs < 3 days before now and eventType = "x"', '(ts occurs < 3 days before now) and (eventType = "x")');
});

test('a minus sign before a number is part of the literal', () => {
  assert.deepEqual(ast('-201'), { nodeType: 'literal', literalType: 'Integer', value: -201 });
  assert.deepEqual(ast('-51.24'), { nodeType: 'literal', literalType: 'Double', value: -51.24 });
  assert.deepEqual(ast('-(5)'), { nodeType: 'fnApply', fnName: 'negate', params: [{ nodeType: 'literal', literalType: 'Integer', value: 5 }] });
  assert.deepEqual(ast('2.0'), { nodeType: 'literal', literalType: 'Double', value: 2 });
});

test('the three ways of naming the profile give the same tree', () => {
  const implicit = ast('homeAddress.stateProvince = workAddress.stateProvince');
  assert.deepEqual(ast('$1.homeAddress.stateProvince = $1.workAddress.stateProvince'), implicit);
  const lambda = ast('(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince');
  assert.deepEqual(lambda, { nodeType: 'lambda', params: ['Profile'], body: implicit });
});

test('xEvent is the profile field xEvent, wherever it is written', () => {
  assert.deepEqual(ast('xEvent'), profileField('xEvent'));
  assert.deepEqual(ast('$1.xEvent'), profileField('xEvent'));
  const nested = ast('orders[xEvent.count() > 1]');
  assert.equal(nested.nodeType, 'filter');
});

test('inside a filter a bare path starts at the element; ^ climbs; climbing out of every filter reaches the profile', () => {
  const filter = ast('xEvent[productListItems[SKU = "PS" or ^.eventType = "x" or ^^.person.gender = "female"]]');
  assert.equal(filter.nodeType, 'filter');
  const inner = filter.nodeType === 'filter' ? filter.condition : filter;
  assert.equal(inner.nodeType, 'filter');
  if (inner.nodeType !== 'filter') return;
  assert.deepEqual(inner.array, { nodeType: 'fieldLookup', fieldName: 'productListItems', object: { nodeType: 'scopeReference', up: 0 } });
  const text = JSON.stringify(inner.condition);
  assert.ok(text.includes('{"nodeType":"fieldLookup","fieldName":"SKU","object":{"nodeType":"scopeReference","up":0}}'));
  assert.ok(text.includes('{"nodeType":"fieldLookup","fieldName":"eventType","object":{"nodeType":"scopeReference","up":1}}'));
  assert.ok(text.includes(JSON.stringify(profileField('person', 'gender'))));
});

test('element arguments of methods open a scope; other arguments do not', () => {
  const sum = ast('orders.sum(price)');
  assert.deepEqual(sum, { nodeType: 'fnApply', fnName: 'sum', params: [profileField('orders'), { nodeType: 'fieldLookup', fieldName: 'price', object: { nodeType: 'scopeReference', up: 0 } }] });
  const topN = ast('orders.topN(price, 5)');
  assert.deepEqual(topN.nodeType === 'fnApply' && topN.params[2], { nodeType: 'literal', literalType: 'Integer', value: 5 });
  const contains = ast('a.contains(b)');
  assert.deepEqual(contains.nodeType === 'fnApply' && contains.params[1], profileField('b'));
});

test('names bound by exists, let, over and lambdas are variables', () => {
  const exists = ast('exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS"');
  assert.equal(exists.nodeType, 'quantifier');
  if (exists.nodeType !== 'quantifier') return;
  assert.equal(exists.generators.length, 2);
  assert.deepEqual(exists.generators[1].source, { nodeType: 'fieldLookup', fieldName: 'productListItems', object: { nodeType: 'variableReference', name: 'E' } });
  same('exists E from xEvent : E.x = 1', 'exists E from xEvent where E.x = 1');
  const over = ast('sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD"');
  assert.equal(over.nodeType, 'aggregateOver');
  assert.ok(JSON.stringify(over).includes('{"nodeType":"variableReference","name":"X"}'));
  const grouped = ast('orders.groupBy(storeId).map((K, G) => mapEntry(K, G.count()))');
  assert.ok(JSON.stringify(grouped).includes('"nodeType":"lambda","params":["K","G"]'));
  assert.ok(JSON.stringify(grouped).includes('{"nodeType":"variableReference","name":"G"}'));
});

test('let: `in` ends the value, and the body sees the name', () => {
  const parsed = ast('let S = (sum X.a over X from xEvent) in (S > 100 and S < 1000)');
  assert.equal(parsed.nodeType, 'let');
  same('let S = x.count() in S > 2', 'let S = (x.count()) in (S > 2)');
  same('let S = (a in [1]) in S', 'let S = (a in [1]) in (S)');
});

test('chain keywords are case-insensitive', () => {
  same('CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "x") WHEN(today)])', 'chain(xEvent, timestamp, [C0: what(eventType = "x") when(today)])');
  const chain = ast('chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )');
  assert.equal(chain.nodeType, 'chain');
  if (chain.nodeType !== 'chain') return;
  assert.deepEqual(chain.steps[0].when, { kind: 'distance', comparison: '<', amount: 24, unit: 'hour', direction: 'before', time: { nodeType: 'timeAnchor', anchor: 'now' } });
  assert.equal(chain.steps[0].count, 5);
  assert.deepEqual(chain.orderBy, { nodeType: 'fieldLookup', fieldName: 'timestamp', object: { nodeType: 'scopeReference', up: 0 } });
});

test('all four occurs forms, with optional on', () => {
  const constraint = (text: string) => {
    const parsed = ast(`ts occurs ${text}`);
    return parsed.nodeType === 'occurs' ? parsed.constraint : undefined;
  };
  assert.deepEqual(constraint('<= 3 days before now'), { kind: 'distance', comparison: '<=', amount: 3, unit: 'day', direction: 'before', time: { nodeType: 'timeAnchor', anchor: 'now' } });
  assert.deepEqual(constraint('before today'), { kind: 'direction', direction: 'before', time: { nodeType: 'timeAnchor', anchor: 'today' } });
  assert.deepEqual(constraint('last week'), { kind: 'on', time: { nodeType: 'timePeriod', relation: 'last', unit: 'week' } });
  assert.deepEqual(constraint('on this month'), constraint('this month'));
  assert.deepEqual(constraint('between date(2015, 1, 8) and date(2017, 7, 1)'), {
    kind: 'between', from: { nodeType: 'literal', literalType: 'Date', value: '2015-01-08' }, to: { nodeType: 'literal', literalType: 'Date', value: '2017-07-01' },
  });
  assert.deepEqual(constraint('= 2 centuries from signupDate'), { kind: 'distance', comparison: '=', amount: 2, unit: 'century', direction: 'from', time: profileField('signupDate') });
  for (const word of ['millisecond', 'seconds', 'minute', 'hours', 'day', 'weeks', 'month', 'years', 'decades', 'century', 'millennium', 'millennia']) {
    assert.ok(parse(`ts occurs < 2 ${word} before now`).ok, word);
  }
});

test('date literals: a day, or an instant with hour, minute and second', () => {
  assert.deepEqual(ast('date(2020, 3, 14)'), { nodeType: 'literal', literalType: 'Date', value: '2020-03-14' });
  assert.deepEqual(ast('date(2020, 3, 14, 9, 5, 0)'), { nodeType: 'literal', literalType: 'DateTime', value: '2020-03-14T09:05:00Z' });
  assert.deepEqual(ast('date(2024, 2, 29)'), { nodeType: 'literal', literalType: 'Date', value: '2024-02-29' });
});

test('strings: JSON escapes, and an unknown escape keeps its backslash', () => {
  assert.deepEqual(ast('"a\\"b\\\\c\\n\\u00e9"'), { nodeType: 'literal', literalType: 'String', value: 'a"b\\c\né' });
  assert.deepEqual(ast('"@(\\w+)"'), { nodeType: 'literal', literalType: 'String', value: '@(\\w+)' });
});

test('a backquoted name is always a field, even a keyword', () => {
  assert.deepEqual(ast('`now`'), profileField('now'));
  assert.deepEqual(ast('`from`.x'), profileField('from', 'x'));
  assert.deepEqual(ast('a.`odd name`'), profileField('a', 'odd name'));
});

test('array and object literals hold expressions', () => {
  assert.deepEqual(ast('[1, "a", x]'), { nodeType: 'arrayLiteral', items: [{ nodeType: 'literal', literalType: 'Integer', value: 1 }, { nodeType: 'literal', literalType: 'String', value: 'a' }, profileField('x')] });
  assert.deepEqual(ast('{"count": 1, sum: x}'), { nodeType: 'objectLiteral', fields: [{ name: 'count', value: { nodeType: 'literal', literalType: 'Integer', value: 1 } }, { name: 'sum', value: profileField('x') }] });
});
