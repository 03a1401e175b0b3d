/** Evolution rules on their own: what counts as additive once a schema's datasets hold data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonAdditiveChanges } from './evolution.ts';
import type { ComposableSchema } from './compose.ts';
import type { FieldDefinition } from './model.ts';

const schema = (fields: Record<string, FieldDefinition>, required: string[] = []): ComposableSchema => ({ class: 'profile', fieldGroups: ['loyalty'], fields, required });

const base: Record<string, FieldDefinition> = {
  tags: { type: 'array', items: { type: 'string' } },
  prefs: { type: 'object', properties: { colour: { type: 'string', maxLength: 20 }, size: { type: 'integer' } } },
  visits: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } } },
};

test('titles, descriptions and the order of keys may change freely', () => {
  const reworded: Record<string, FieldDefinition> = {
    visits: { type: 'array', items: { type: 'object', properties: { at: { format: 'date-time', type: 'string', title: 'When' } } } },
    prefs: { type: 'object', description: 'Preferences', properties: { size: { type: 'integer' }, colour: { maxLength: 20, type: 'string', title: 'Colour' } } },
    tags: { type: 'array', items: { type: 'string' }, title: 'Tags' },
  };
  assert.deepEqual(nonAdditiveChanges(schema(base), schema(reworded)), []);
});

test('new fields at any depth, new field groups and new optional objects are additive', () => {
  const more = structuredClone(base);
  more.prefs.properties!.shoe = { type: 'number' };
  more.visits.items!.properties!.page = { type: 'string' };
  more.extra = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
  assert.deepEqual(nonAdditiveChanges(schema(base), { ...schema(more), fieldGroups: ['loyalty', 'person'] }), []);
});

test('a tighter or different constraint is a change, also on array items', () => {
  const tighter = structuredClone(base);
  tighter.prefs.properties!.colour.maxLength = 10;
  tighter.tags.items = { type: 'string', enum: ['a', 'b'] };
  tighter.visits.items!.properties!.at = { type: 'string', format: 'date' };
  const paths = nonAdditiveChanges(schema(base), schema(tighter)).map((e) => e.path).sort();
  assert.deepEqual(paths, ['prefs.colour', 'tags', 'visits.at']);
});

test('a field newly required, by the schema or by its object, is a change named by its path', () => {
  const req = structuredClone(base);
  req.prefs.required = ['size'];
  req.visits.items!.required = ['at'];
  const errors = nonAdditiveChanges(schema(base), schema(req, ['loyalty.points']));
  assert.deepEqual(errors.map((e) => `${e.path} ${e.message}`).sort(), [
    'loyalty.points cannot become required',
    'prefs.size cannot become required',
    'visits.at cannot become required',
  ]);
  assert.deepEqual(nonAdditiveChanges(schema(req, ['loyalty.points']), schema(base)), [], 'dropping a requirement is additive');
});

test('removing a field or a field group, or changing the class, is a change', () => {
  const fewer = structuredClone(base);
  delete fewer.prefs.properties!.size;
  const errors = nonAdditiveChanges(schema(base), { ...schema(fewer), fieldGroups: [], class: 'profile' });
  assert.ok(errors.some((e) => e.path === 'prefs.size' && /removed/.test(e.message)));
  assert.ok(errors.some((e) => e.path === 'loyalty' && /removed/.test(e.message)));
  assert.ok(errors.some((e) => e.path === 'loyalty.points'));
  const cls = nonAdditiveChanges({ class: 'event', fieldGroups: [], fields: {}, required: [] }, { class: 'profile', fieldGroups: [], fields: {}, required: [] });
  assert.equal(cls[0].path, 'class');
  assert.ok(cls.some((e) => e.path === 'eventType' && /removed/.test(e.message)));
});
