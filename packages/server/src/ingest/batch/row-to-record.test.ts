import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { composeFields, leafFields, type LeafField } from '../../schema/compose.ts';
import { compileValidator } from '../../schema/validate.ts';
import { STANDARD_SCHEMAS } from '../../schema/service.ts';
import { planColumns, type RecordPlan } from './column-plan.ts';
import { csvRowToRecord, jsonLineToRecord } from './row-to-record.ts';

const profile = STANDARD_SCHEMAS[0];
const schema = { class: profile.class, fieldGroups: profile.fieldGroups ?? [], fields: {}, required: [] };
const tree = composeFields(schema);
const validate = compileValidator(schema);
const leaves = leafFields(tree).filter((l) => !l.repeated && !l.map);
const BATCH = 'bat_test';

function planFor(header: string[]): RecordPlan {
  const result = planColumns(header, tree);
  if (!('plan' in result)) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

/** Text a CSV cell of this field might hold: often right, sometimes subtly wrong, sometimes garbage. */
function cellFor(leaf: LeafField): fc.Arbitrary<string> {
  const plausible: fc.Arbitrary<string>[] = [fc.constant(''), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })];
  if (leaf.type === 'integer') plausible.push(fc.integer({ min: 1800, max: 2300 }).map(String), fc.double().map(String));
  if (leaf.type === 'number') plausible.push(fc.double({ noNaN: true }).map(String), fc.integer().map(String), fc.constant('1,5'));
  if (leaf.type === 'boolean') plausible.push(fc.constantFrom('true', 'FALSE', '1', '0', 'yes', 'no', 'y', 'maybe'));
  if (leaf.format === 'date') plausible.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), fc.constantFrom('2026-02-30', '31/01/2026'));
  if (leaf.format === 'date-time') plausible.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2026-01-31 09:30', 'soon', '2026-01-31T25:00:00Z'));
  if (leaf.format === 'email') plausible.push(fc.emailAddress(), fc.constant('not-an-email'));
  return fc.oneof(...plausible);
}

const rowArbitrary = fc
  .uniqueArray(fc.constantFrom(...leaves), { minLength: 1, maxLength: 8, selector: (l) => l.path })
  .chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      cells: fc.tuple(...columns.map(cellFor)),
      ragged: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }),
      row: fc.integer({ min: 1, max: 10_000_000 }),
    }),
  );

test('property: every CSV row yields either a record the schema accepts or precise errors; nothing crashes', () => {
  const knownPaths = new Set(leafFields(tree).map((l) => l.path));
  fc.assert(
    fc.property(rowArbitrary, ({ columns, cells, ragged, row }) => {
      const plan = planFor(columns.map((c) => c.path));
      const values = ragged < 0 ? cells.slice(0, -1) : ragged > 0 ? [...cells, 'extra'] : cells;
      const outcome = csvRowToRecord(values, row, { plan, validate, batchId: BATCH });
      if (outcome.record) {
        assert.equal(ragged, 0, 'a ragged row is never a record');
        assert.deepEqual(validate(outcome.record), [], 'a record handed on is valid');
        const ownId = values[columns.findIndex((c) => c.path === '_id')];
        assert.equal(outcome.record._id, ownId ? ownId : `${BATCH}:${row}`, 'a row keeps its own _id or gets <batchId>:<row>');
        return;
      }
      assert.ok(outcome.errors.length > 0);
      for (const error of outcome.errors) {
        assert.ok(error.message.length > 0);
        const path = error.path.replace(/\[\d+\]/g, '');
        assert.ok(error.path === '' || knownPaths.has(path), `error path "${error.path}" names a schema field`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: well-formed cells always make a valid record with every value where its column says', () => {
  const wellFormed = fc
    .uniqueArray(fc.constantFrom(...leaves.filter((l) => l.type !== 'string' || !l.format || l.format === 'date-time')), { minLength: 1, maxLength: 6, selector: (l) => l.path })
    .filter((cols) => cols.every((c) => !c.path.startsWith('consents') && !c.path.includes('Status') && !c.path.endsWith('.status') && !c.path.endsWith('countryCode') && !c.path.endsWith('birthDayAndMonth') && !c.path.endsWith('gender') && !c.path.endsWith('.preferred')));
  fc.assert(
    fc.property(wellFormed, fc.integer({ min: 1, max: 1000 }), (columns, row) => {
      const cells = columns.map((c) => (c.type === 'integer' ? '1900' : c.type === 'number' ? '2.5' : c.type === 'boolean' ? 'yes' : c.format === 'date-time' ? '2026-01-31 09:30:00' : 'text'));
      const outcome = csvRowToRecord(cells, row, { plan: planFor(columns.map((c) => c.path)), validate, batchId: BATCH });
      assert.ok(outcome.record, JSON.stringify(outcome.errors));
      for (const column of columns) {
        const value = column.path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], outcome.record);
        assert.notEqual(value, undefined, column.path);
      }
    }),
    { numRuns: 500 },
  );
});

test('a coercion failure is reported once, without the validator repeating it', () => {
  const plan = planFor(['loyalty.points', 'person.birthDate']);
  assert.deepEqual(csvRowToRecord(['lots', 'soon'], 3, { plan, validate, batchId: BATCH }).errors, [
    { path: 'loyalty.points', message: 'must be a number, got "lots"' },
    { path: 'person.birthDate', message: 'must be a date (YYYY-MM-DD), got "soon"' },
  ]);
});

test('JSON lines keep their own _id and get one when they have none', () => {
  assert.equal(jsonLineToRecord({ _id: 'mine' }, 4, { validate, batchId: BATCH }).record?._id, 'mine');
  assert.equal(jsonLineToRecord({}, 4, { validate, batchId: BATCH }).record?._id, `${BATCH}:4`);
  assert.deepEqual(jsonLineToRecord('text', 5, { validate, batchId: BATCH }).errors, [{ path: '', message: 'a line must hold one JSON object' }]);
});
