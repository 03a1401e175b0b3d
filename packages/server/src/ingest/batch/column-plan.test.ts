import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFields } from '../../schema/compose.ts';
import { STANDARD_SCHEMAS } from '../../schema/service.ts';
import { MeridianError } from '../../errors.ts';
import { checkMappingTargets, parseMapping, planColumns } from './column-plan.ts';
import { parseTargetPath, setAtPath } from './field-path.ts';
import type { JsonObject } from '../../storage/json.ts';

const profile = STANDARD_SCHEMAS[0];
const event = STANDARD_SCHEMAS[1];
const profileTree = composeFields({ class: profile.class, fieldGroups: profile.fieldGroups ?? [], fields: {}, required: [] });
const eventTree = composeFields({ class: event.class, fieldGroups: event.fieldGroups ?? [], fields: {}, required: [] });

function errorsOf(result: ReturnType<typeof planColumns>) {
  return 'errors' in result ? result.errors : [];
}

test('CSV headers are dot paths by default', () => {
  const result = planColumns(['_id', 'person.name.firstName', 'loyalty.points'], profileTree);
  assert.ok('plan' in result);
  assert.deepEqual(result.plan.columns.map((c) => [c.index, c.path, c.field.type]), [[0, '_id', 'string'], [1, 'person.name.firstName', 'string'], [2, 'loyalty.points', 'number']]);
  assert.equal(result.plan.hasIdColumn, true);
});

test('a mapping renames columns and null drops one; unmapped columns still count as paths', () => {
  const result = planColumns(['first', 'internal', 'crm.crmId'], profileTree, { mapping: { first: 'person.name.firstName', internal: null } });
  assert.ok('plan' in result);
  assert.deepEqual(result.plan.columns.map((c) => [c.column, c.path]), [['first', 'person.name.firstName'], ['crm.crmId', 'crm.crmId']]);
});

test('unknown columns are named with a hint, unless ignored; mapped unknown targets are never ignored', () => {
  const [unknown] = errorsOf(planColumns(['crm.crmId', 'shoe_size'], profileTree));
  assert.equal(unknown.path, 'shoe_size');
  assert.match(unknown.message, /shoe_size is not a field of the schema; map it with \?mapping=.* or pass \?ignoreUnknownColumns=true/);
  assert.ok('plan' in planColumns(['crm.crmId', 'shoe_size'], profileTree, { ignoreUnknownColumns: true }));
  const [mapped] = errorsOf(planColumns(['size'], profileTree, { mapping: { size: 'person.shoeSize' }, ignoreUnknownColumns: true }));
  assert.deepEqual(mapped, { path: 'size', message: 'person.shoeSize is not a field of the schema' });
});

test('the header and the mapping must agree, and no two columns may fill the same field', () => {
  assert.deepEqual(errorsOf(planColumns(['crm.crmId'], profileTree, { mapping: { email: 'personalEmail.address' } })), [
    { path: 'email', message: 'is in the mapping but the file has no such column' },
  ]);
  assert.match(errorsOf(planColumns(['a', 'a'], profileTree, { mapping: { a: 'crm.crmId' } }))[0].message, /appears twice/);
  assert.match(errorsOf(planColumns(['x', 'crm.crmId'], profileTree, { mapping: { x: 'crm.crmId' } }))[0].message, /which column "crm.crmId" fills too/);
  assert.match(errorsOf(planColumns(['person.name', 'person.name.firstName'], profileTree))[0].message, /inside person\.name which column "person\.name" fills whole/);
});

test('array items need an index; open maps take any key', () => {
  assert.match(errorsOf(planColumns(['productListItems.SKU'], eventTree))[0].message, /productListItems is an array: name an item, e\.g\. productListItems\[0\]\.SKU/);
  const result = planColumns(['productListItems[2].priceTotal', 'identityMap.Email[0].id'], eventTree);
  assert.ok('plan' in result);
  assert.deepEqual(result.plan.columns.map((c) => c.field.type), ['number', 'string']);
  assert.match(errorsOf(planColumns(['web.webPageDetails.name.first'], eventTree))[0].message, /web\.webPageDetails\.name is a string, it has no field "first"/);
});

test('mappings are JSON objects of column → path or null, and their targets are checked before upload', () => {
  assert.deepEqual(parseMapping('{"a":"crm.crmId","b":null}'), { a: 'crm.crmId', b: null });
  assert.equal(parseMapping(undefined), undefined);
  for (const bad of ['{not json', '[1]', '{"a": 3}']) assert.throws(() => parseMapping(bad), (e: MeridianError) => e.code === 'INVALID_MAPPING');
  assert.throws(() => checkMappingTargets({ a: 'crm.nope' }, profileTree), (e: MeridianError) => e.code === 'INVALID_MAPPING' && /crm\.nope/.test(e.detail));
  assert.doesNotThrow(() => checkMappingTargets({ a: 'crm.crmId', b: null }, profileTree));
});

test('target paths parse to steps and values land at them', () => {
  assert.deepEqual(parseTargetPath('a.b[1][0].c'), [{ key: 'a' }, { key: 'b' }, { index: 1 }, { index: 0 }, { key: 'c' }]);
  for (const bad of ['', 'a..b', 'a.', '.a', '[0]', 'a[x]']) assert.equal(typeof parseTargetPath(bad), 'string', bad);
  const record: JsonObject = {};
  assert.equal(setAtPath(record, parseTargetPath('items[1].sku') as never, 'B'), true);
  assert.equal(setAtPath(record, parseTargetPath('items[0].sku') as never, 'A'), true);
  assert.deepEqual(record, { items: [{ sku: 'A' }, { sku: 'B' }] });
  assert.equal(setAtPath(record, parseTargetPath('items.sku') as never, 'C'), false, 'an object step into an array is refused');
});
