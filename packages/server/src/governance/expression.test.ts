import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExpression, describeExpression, labelsOf, matchExpression } from './expression.ts';
import type { LabelExpression } from './model.ts';
import { CORE_LABEL_NAMES, CORE_POLICIES } from './core.ts';

const L = (label: string): LabelExpression => ({ label });
const OR = (...operands: LabelExpression[]): LabelExpression => ({ operator: 'OR', operands });
const AND = (...operands: LabelExpression[]): LabelExpression => ({ operator: 'AND', operands });

// The suite's own example policy: C1 OR (C3 AND C7).
const suiteExample = OR(L('C1'), AND(L('C3'), L('C7')));

const cases: { name: string; expression: LabelExpression; labels: string[]; matches: boolean; because?: string[] }[] = [
  { name: 'a single label matches when carried', expression: L('C2'), labels: ['C2', 'I1'], matches: true, because: ['C2'] },
  { name: 'a single label does not match when absent', expression: L('C2'), labels: ['C1'], matches: false },
  { name: 'OR matches on either side', expression: suiteExample, labels: ['C1'], matches: true, because: ['C1'] },
  { name: 'OR over a nested AND needs the whole AND', expression: suiteExample, labels: ['C3'], matches: false },
  { name: 'the nested AND matches with both labels', expression: suiteExample, labels: ['C3', 'C7', 'S1'], matches: true, because: ['C3', 'C7'] },
  { name: 'OR names every true branch', expression: suiteExample, labels: ['C1', 'C3', 'C7'], matches: true, because: ['C1', 'C3', 'C7'] },
  { name: 'AND needs every operand', expression: AND(L('C4'), L('I1')), labels: ['C4'], matches: false },
  { name: 'AND of ORs', expression: AND(OR(L('C5'), L('C6')), OR(L('I1'), L('I2'))), labels: ['C6', 'I2'], matches: true, because: ['C6', 'I2'] },
  { name: 'AND of ORs fails when one OR has nothing', expression: AND(OR(L('C5'), L('C6')), OR(L('I1'), L('I2'))), labels: ['C5', 'C6'], matches: false },
  { name: 'nothing carried matches nothing', expression: OR(L('C1'), L('C2')), labels: [], matches: false },
  { name: 'custom labels take part like core ones', expression: AND(L('PCI'), L('C2')), labels: ['PCI', 'C2'], matches: true, because: ['C2', 'PCI'] },
];

for (const c of cases) {
  test(`label expression: ${c.name}`, () => {
    const result = matchExpression(c.expression, new Set(c.labels));
    assert.equal(result.matches, c.matches);
    if (c.because) assert.deepEqual(result.labels, c.because);
    else assert.deepEqual(result.labels, []);
  });
}

test('a malformed expression is reported at the exact operand', () => {
  const known = new Set([...CORE_LABEL_NAMES, 'PCI']);
  const errors = checkExpression({ operator: 'OR', operands: [{ label: 'C1' }, { operator: 'XOR', operands: [{ label: 'C99' }, 'C3'] }, { operator: 'AND', operands: [] }] }, 'deny', known);
  assert.deepEqual(
    errors.map((e) => e.path),
    ['deny.operands[1].operator', 'deny.operands[1].operands[0].label', 'deny.operands[1].operands[1]', 'deny.operands[2].operands'],
  );
  assert.match(errors[1].message, /unknown label "C99"/);
  assert.deepEqual(checkExpression(suiteExample, 'deny', known), []);
  assert.deepEqual(checkExpression({ label: 'PCI' }, 'deny', known), []);
  assert.equal(checkExpression({ label: 'C1', operator: 'OR' }, 'deny', known)[0].path, 'deny');
  assert.equal(checkExpression('C1', 'deny', known)[0].path, 'deny');
  assert.equal(checkExpression({ operator: 'AND' }, 'deny', known)[0].path, 'deny.operands');
});

test('an expression nested absurdly deep is refused', () => {
  let deep: LabelExpression = L('C1');
  for (let i = 0; i < 15; i++) deep = AND(deep);
  assert.match(checkExpression(deep, 'deny', CORE_LABEL_NAMES)[0].message, /nests deeper/);
});

test('labels named and readable form', () => {
  assert.deepEqual(labelsOf(suiteExample), ['C1', 'C3', 'C7']);
  assert.equal(describeExpression(suiteExample), 'C1 OR (C3 AND C7)');
});

test('every core policy names only core labels and is shipped disabled', () => {
  for (const policy of CORE_POLICIES) {
    assert.deepEqual(checkExpression(policy.deny, 'deny', CORE_LABEL_NAMES), [], policy.id);
    assert.equal(policy.status, 'DISABLED');
  }
  const exportPolicy = CORE_POLICIES.find((p) => p.marketingAction === 'exportToThirdParty');
  assert.ok(exportPolicy && matchExpression(exportPolicy.deny, new Set(['C2'])).matches && matchExpression(exportPolicy.deny, new Set(['C1'])).matches);
});
