import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childExpressions, NODE_TYPES, TIME_UNITS, COMPARISONS, type Expr, type TimeConstraint } from './ast.ts';
import { PQL_CASES } from './cases.ts';
import { FUNCTIONS } from './functions.ts';
import { parseOrThrow } from './parser.ts';
import { parseTimestamp } from './time.ts';

/** Everything in the table's expressions: node types, functions, time constraint forms. */
function inventory() {
  const nodeTypes = new Set<string>();
  const functions = new Set<string>();
  const forms = new Set<string>();
  const literalTypes = new Set<string>();
  const noteConstraint = (c: TimeConstraint) => {
    forms.add(`kind:${c.kind}`);
    if (c.kind === 'direction' || c.kind === 'distance') forms.add(`direction:${c.direction}`);
    if (c.kind === 'distance') {
      forms.add(`comparison:${c.comparison}`);
      forms.add(`unit:${c.unit}`);
    }
  };
  const visit = (node: Expr) => {
    nodeTypes.add(node.nodeType);
    if (node.nodeType === 'fnApply') functions.add(node.fnName);
    if (node.nodeType === 'literal') literalTypes.add(node.literalType);
    if (node.nodeType === 'timePeriod') forms.add(`unit:${node.unit}`).add(`relation:${node.relation}`);
    if (node.nodeType === 'timeAnchor') forms.add(`anchor:${node.anchor}`);
    if (node.nodeType === 'occurs') noteConstraint(node.constraint);
    if (node.nodeType === 'quantifier') forms.add(`quantifier:${node.quantifier}`);
    if (node.nodeType === 'aggregateOver') forms.add(`over:${node.aggregate}`);
    if (node.nodeType === 'chain') for (const s of node.steps) if (s.when) noteConstraint(s.when);
    childExpressions(node).forEach(visit);
  };
  for (const c of PQL_CASES) visit(parseOrThrow(c.pql));
  return { nodeTypes, functions, forms, literalTypes };
}

test('the table is large and every case is well formed', () => {
  assert.ok(PQL_CASES.length >= 150, `${PQL_CASES.length} cases`);
  const names = new Set<string>();
  for (const c of PQL_CASES) {
    assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
    names.add(c.name);
    assert.notEqual(parseTimestamp(c.now), null, `${c.name}: now`);
    const ids = c.events.map((e) => e._id);
    assert.equal(new Set(ids).size, ids.length, `${c.name}: event ids must be unique`);
    for (const e of c.events) if (e.timestamp !== undefined) assert.notEqual(parseTimestamp(e.timestamp), null, `${c.name}: ${e._id}.timestamp`);
    assert.deepEqual(JSON.parse(JSON.stringify(c.expected)), c.expected, `${c.name}: expected must be plain JSON`);
  }
});

test('the table covers every operator, function, node type and time form', () => {
  const { nodeTypes, functions, forms, literalTypes } = inventory();
  const missing = (all: Iterable<string>, seen: Set<string>) => [...all].filter((x) => !seen.has(x));
  assert.deepEqual(missing(FUNCTIONS.keys(), functions), [], 'functions without a case');
  assert.deepEqual(missing(NODE_TYPES, nodeTypes), [], 'node types without a case');
  assert.deepEqual(missing(['String', 'Integer', 'Double', 'Boolean', 'Date', 'DateTime'], literalTypes), []);
  const expectedForms = [
    ...['on', 'direction', 'distance', 'between'].map((k) => `kind:${k}`),
    ...['before', 'after', 'from'].map((d) => `direction:${d}`),
    ...COMPARISONS.map((c) => `comparison:${c}`),
    ...TIME_UNITS.map((u) => `unit:${u}`),
    ...['this', 'last', 'next'].map((r) => `relation:${r}`),
    ...['now', 'today', 'yesterday', 'tomorrow'].map((a) => `anchor:${a}`),
    ...['exists', 'forall', 'select'].map((q) => `quantifier:${q}`),
    ...['sum', 'count', 'average', 'min', 'max'].map((a) => `over:${a}`),
  ];
  assert.deepEqual(missing(expectedForms, forms), [], 'time and quantifier forms without a case');
});

test('many expressions are checked both true and false, and many cases check values', () => {
  const outcomes = new Map<string, Set<boolean>>();
  for (const c of PQL_CASES) {
    if (typeof c.expected !== 'boolean') continue;
    const key = c.pql;
    outcomes.set(key, (outcomes.get(key) ?? new Set()).add(c.expected));
  }
  const bothWays = [...outcomes.values()].filter((s) => s.size === 2).length;
  assert.ok(bothWays >= 20, `${bothWays} expressions are checked both true and false`);
  const values = PQL_CASES.filter((c) => typeof c.expected !== 'boolean').length;
  assert.ok(values >= 50, `${values} cases check values, not only yes/no`);
});
