import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dedupeLineage, fieldLabelsFor, lineageOfDataset, lineageOfField, schemaDefines, type DatasetFacts } from './lineage.ts';

const leaves = ['personalEmail.address', 'homeAddress.city', 'homeAddress.countryCode', 'loyalty.tier'].map((path) => ({ path, map: false }));
const crm: DatasetFacts = {
  id: 'ds_crm',
  name: 'crm',
  class: 'profile',
  labels: ['C2'],
  schemaLabels: { 'personalEmail.address': ['I1'], homeAddress: ['I2'] },
  leaves: [...leaves, { path: 'identityMap', map: true }],
};
const web: DatasetFacts = { id: 'ds_web', name: 'web', class: 'event', labels: [], schemaLabels: { 'placeContext.geo': ['S1'] }, leaves: [{ path: 'placeContext.geo.city', map: false }, { path: 'eventType', map: false }] };

test('a schema defines leaves, objects holding leaves, and keys inside open maps', () => {
  assert.equal(schemaDefines(crm.leaves, 'homeAddress.city'), true);
  assert.equal(schemaDefines(crm.leaves, 'homeAddress'), true);
  assert.equal(schemaDefines(crm.leaves, 'identityMap.Email'), true);
  assert.equal(schemaDefines(crm.leaves, 'home'), false, 'a prefix of a name is not a parent');
  assert.equal(schemaDefines(crm.leaves, 'person.birthDate'), false);
});

test('field labels reach the field, its descendants, and an object read whole', () => {
  assert.deepEqual(fieldLabelsFor(crm.schemaLabels, 'homeAddress.city'), [{ schemaField: 'homeAddress', label: 'I2' }]);
  assert.deepEqual(fieldLabelsFor({ 'homeAddress.city': ['S2'] }, 'homeAddress'), [{ schemaField: 'homeAddress.city', label: 'S2' }]);
  assert.deepEqual(fieldLabelsFor(crm.schemaLabels, 'loyalty.tier'), []);
});

test('a field carries its dataset’s labels and its schema labels, named by field, dataset and source', () => {
  const entries = lineageOfField({ path: 'personalEmail.address', class: 'profile', audienceId: 'aud_1' }, [crm, web]);
  assert.deepEqual(entries, [
    { label: 'C2', field: 'personalEmail.address', dataset: 'ds_crm', datasetName: 'crm', audienceId: 'aud_1', source: 'dataset' },
    { label: 'I1', field: 'personalEmail.address', dataset: 'ds_crm', datasetName: 'crm', audienceId: 'aud_1', source: 'field', schemaField: 'personalEmail.address' },
  ]);
  const unlabelled = lineageOfField({ path: 'loyalty.tier', class: 'profile' }, [crm]);
  assert.deepEqual(unlabelled?.map((e) => e.label), ['C2'], 'dataset labels apply to every field of the dataset');
});

test('event fields come only from event datasets and are shown as xEvent paths', () => {
  const entries = lineageOfField({ path: 'placeContext.geo.city', class: 'event' }, [crm, web]);
  assert.deepEqual(entries?.map((e) => [e.label, e.field, e.dataset]), [['S1', 'xEvent.placeContext.geo.city', 'ds_web']]);
  assert.equal(lineageOfField({ path: 'eventType', class: 'profile' }, [crm, web]), undefined, 'no profile dataset defines eventType');
});

test('a dataset used whole brings its labels without a field; repeats collapse', () => {
  assert.deepEqual(lineageOfDataset(crm), [{ label: 'C2', field: null, dataset: 'ds_crm', datasetName: 'crm', source: 'dataset' }]);
  const twice = [...lineageOfDataset(crm), ...lineageOfDataset(crm)];
  assert.equal(dedupeLineage(twice).length, 1);
});
