/**
 * Record validation promises: every refusal names the field by the dot path users write
 * (arrays as `productListItems[0].SKU`) and says what is wrong in plain words.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileValidator } from './validate.ts';
import { STANDARD_SCHEMAS } from './service.ts';
import type { ComposableSchema } from './compose.ts';

const experienceEvent = STANDARD_SCHEMAS.find((s) => s.name === 'experience-event')!;
const events = compileValidator({ class: 'event', fieldGroups: experienceEvent.fieldGroups ?? [], fields: {}, required: [] });

const custom: ComposableSchema = {
  class: 'profile',
  fieldGroups: ['person', 'loyalty'],
  fields: {
    customer: {
      type: 'object',
      properties: {
        tier: { type: 'string', enum: ['gold', 'silver'] },
        score: { type: 'integer', minimum: 0 },
        website: { type: 'string', format: 'uri' },
        visits: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } } },
      },
    },
  },
  required: ['customer.tier', 'person.name.lastName'],
};
const profiles = compileValidator(custom);

const valid = { _id: 'e1', timestamp: '2026-11-01T10:00:00Z' };

describe('record validation messages', () => {
  test('a valid record has no errors', () => {
    assert.deepEqual(events({ ...valid, web: { webPageDetails: { name: 'home', pageViews: { value: 1 } } }, productListItems: [{ SKU: 'a', quantity: 2 }] }), []);
    assert.deepEqual(profiles({ customer: { tier: 'gold', score: 3, visits: [{ at: '2026-01-01T00:00:00Z' }] }, person: { name: { lastName: 'Lovelace' } } }), []);
  });

  test('a missing required field is named by its dot path', () => {
    assert.deepEqual(events({ _id: 'x' }), [{ path: 'timestamp', message: 'is required' }]);
    const errors = profiles({ customer: { score: 1 }, person: { name: {} } });
    assert.deepEqual(
      errors.sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: 'customer.tier', message: 'is required' },
        { path: 'person.name.lastName', message: 'is required' },
      ],
    );
  });

  test('an unknown field is named by its dot path', () => {
    assert.deepEqual(events({ ...valid, web: { webPageDetails: { nmae: 'typo' } } }), [{ path: 'web.webPageDetails.nmae', message: 'is not a field of the schema' }]);
    assert.deepEqual(events({ ...valid, surprise: 1 }), [{ path: 'surprise', message: 'is not a field of the schema' }]);
  });

  test('a wrong type is named by its dot path', () => {
    assert.deepEqual(events({ ...valid, commerce: { order: { priceTotal: '12.50' } } }), [{ path: 'commerce.order.priceTotal', message: 'must be a number' }]);
    assert.deepEqual(events({ ...valid, device: { screenWidth: 10.5 } }), [{ path: 'device.screenWidth', message: 'must be an integer' }]);
    assert.deepEqual(events({ ...valid, web: 'home' }), [{ path: 'web', message: 'must be an object' }]);
    assert.deepEqual(events({ ...valid, productListItems: { SKU: 'a' } }), [{ path: 'productListItems', message: 'must be an array' }]);
    assert.deepEqual(events({ ...valid, web: { webPageDetails: { isHomePage: 'yes' } } }), [{ path: 'web.webPageDetails.isHomePage', message: 'must be a boolean' }]);
  });

  test('a value outside an enum is named by its dot path, with the allowed values', () => {
    const [error] = events({ ...valid, device: { type: 'phone' } });
    assert.equal(error.path, 'device.type');
    assert.match(error.message, /^must be one of "mobile", "tablet", "desktop"/);
  });

  test('a bad date-time is named by its dot path, with an example of a good one', () => {
    assert.deepEqual(events({ ...valid, timestamp: 'yesterday' }), [{ path: 'timestamp', message: 'must be a date-time (RFC 3339, e.g. 2026-01-31T09:30:00Z)' }]);
    assert.deepEqual(events({ ...valid, placeContext: { localTime: '2026-13-45T99:00:00Z' } }), [
      { path: 'placeContext.localTime', message: 'must be a date-time (RFC 3339, e.g. 2026-01-31T09:30:00Z)' },
    ]);
    assert.deepEqual(profiles({ customer: { tier: 'gold' }, person: { name: { lastName: 'x' }, birthDate: '31/01/1990' } }), [
      { path: 'person.birthDate', message: 'must be a date (YYYY-MM-DD)' },
    ]);
  });

  test('fields inside arrays are named with their index, e.g. productListItems[0].SKU', () => {
    assert.deepEqual(events({ ...valid, productListItems: [{ SKU: 5 }] }), [{ path: 'productListItems[0].SKU', message: 'must be a string' }]);
    assert.deepEqual(events({ ...valid, productListItems: [{ SKU: 'ok' }, { SKU: 'ok', productCategories: [{ categoryID: 'c' }, { categoryId: 'typo' }] }] }), [
      { path: 'productListItems[1].productCategories[1].categoryId', message: 'is not a field of the schema' },
    ]);
    assert.deepEqual(events({ ...valid, productListItems: [{ quantity: -1 }] }).map((e) => e.path), ['productListItems[0].quantity']);
    assert.deepEqual(profiles({ customer: { tier: 'gold', visits: [{ at: 'later' }] }, person: { name: { lastName: 'x' } } }), [
      { path: 'customer.visits[0].at', message: 'must be a date-time (RFC 3339, e.g. 2026-01-31T09:30:00Z)' },
    ]);
  });

  test('every error of a record is reported at once', () => {
    const errors = events({ timestamp: 'soon', device: { type: 'phone' }, extra: true });
    assert.deepEqual(errors.map((e) => e.path).sort(), ['device.type', 'extra', 'timestamp']);
  });

  test('a record that is not a JSON object is refused as a whole', () => {
    for (const value of [null, 1, 'text', true, [], [valid]]) {
      assert.deepEqual(events(value), [{ path: '', message: 'a record must be a JSON object' }]);
    }
  });

  test('identity maps accept any namespace but check each identity', () => {
    assert.deepEqual(events({ ...valid, identityMap: { ECID: [{ id: '123', primary: true }], Email: [{ id: 'a@b.c', authenticatedState: 'authenticated' }] } }), []);
    assert.deepEqual(events({ ...valid, identityMap: { ECID: [{ id: '' }] } }).map((e) => e.path), ['identityMap.ECID[0].id']);
    assert.deepEqual(events({ ...valid, identityMap: { ECID: [{ id: '1', authenticatedState: 'maybe' }] } }).map((e) => e.path), ['identityMap.ECID[0].authenticatedState']);
  });
});

describe('compiled validators', () => {
  test('the same schema gets the same compiled validator; a changed one its own', () => {
    assert.equal(compileValidator(structuredClone(custom)), profiles);
    const tierOptional = compileValidator({ ...custom, required: ['person.name.lastName'] });
    assert.notEqual(tierOptional, profiles);
    assert.deepEqual(tierOptional({ customer: { score: 1 } }), []);
    assert.deepEqual(profiles({ customer: { score: 1 } }).map((e) => e.path), ['customer.tier']);
  });

  test('a thread compiling more schemas than it keeps validates each by its own schema', () => {
    for (let version = 0; version < 100; version++) {
      const validate = compileValidator({ class: 'profile', fieldGroups: [], fields: { [`f${version}`]: { type: 'integer' } }, required: [] });
      assert.deepEqual(validate({ [`f${version}`]: 1 }), []);
      assert.deepEqual(validate({ [`f${version}`]: 'x' }).map((e) => e.path), [`f${version}`]);
    }
    const recompiled = compileValidator(structuredClone(custom));
    assert.deepEqual(recompiled({ customer: { score: 1 } }).map((e) => e.path), ['customer.tier']);
  });
});
