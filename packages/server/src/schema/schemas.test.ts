/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/**
 * Schema promises, through the real server: standard schemas in every sandbox, composition of
 * field groups and custom fields, definitions refused with the path at fault, precise validation,
 * and evolution that never breaks data already stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

/** The problem's `errors[]` name `path`, and its detail mentions it. */
function assertNamesPath(res: ApiResponse, path: string, message?: RegExp) {
  const hit = (res.body.errors ?? []).find((e: any) => e.path === path);
  assert.ok(hit, `errors name ${path}: ${JSON.stringify(res.body.errors)}`);
  if (message) assert.match(hit.message, message);
  assert.ok(res.body.detail.includes(path), `detail mentions ${path}: ${res.body.detail}`);
}

let unique = 0;
const name = (base: string) => `${base}${++unique}`;

const loyaltyInput = (schemaName: string, extra: Record<string, unknown> = {}) => ({
  name: schemaName,
  class: 'profile',
  fieldGroups: ['person', 'loyalty'],
  fields: {
    favouriteColour: { type: 'string' },
    person: { type: 'object', properties: { nickname: { type: 'string' } } },
    orders: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
    account: { type: 'object', properties: { id: { type: 'string' }, plan: { type: 'string' } } },
  },
  identities: [{ path: 'account.id', namespace: 'CRMID', primary: true }],
  labels: { 'person.birthDate': ['I2'], favouriteColour: ['C5'] },
  ...extra,
});

describe('standard schemas and composition', () => {
  test('a new sandbox starts with the standard profile and experience-event schemas', async () => {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'fresh' })).status, 201);
    const res = await server.api('GET', '/api/v1/schemas', undefined, { sandbox: 'fresh' });
    assert.equal(res.status, 200);
    const byName = Object.fromEntries(res.body.items.map((s: any) => [s.name, s]));
    assert.deepEqual(Object.keys(byName).sort(), ['experience-event', 'profile']);
    assert.equal(byName.profile.class, 'profile');
    assert.equal(byName['experience-event'].class, 'event');
    assert.deepEqual(byName.profile.identities.find((i: any) => i.primary), { path: 'crm.crmId', namespace: 'CRMID', primary: true });
    const json = await server.api('GET', '/api/v1/schemas/experience-event/json-schema', undefined, { sandbox: 'fresh' });
    assert.deepEqual(json.body.required, ['timestamp']);
    assert.equal(json.body.additionalProperties, false, 'records are closed: unknown fields are refused');
    assert.ok(json.body.properties.web.properties.webPageDetails.properties.name);
  });

  test('standard field groups are listed with their class and fields', async () => {
    const res = await server.api('GET', '/api/v1/schemas/field-groups');
    const groups = Object.fromEntries(res.body.items.map((g: any) => [g.name, g]));
    assert.equal(groups.person.class, 'profile');
    assert.equal(groups.web.class, 'event');
    assert.ok(groups.contact.identities.some((i: any) => i.namespace === 'Email'));
  });

  test('a schema composes its class, its field groups and its custom fields', async () => {
    const schemaName = name('loyal');
    const created = await server.api('POST', '/api/v1/schemas', loyaltyInput(schemaName));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.version, 1);
    const json = await server.api('GET', `/api/v1/schemas/${schemaName}/json-schema`);
    const props = json.body.properties;
    assert.ok(props._id && props.identityMap && props.timestamp, 'class fields');
    assert.ok(props.person.properties.name.properties.firstName, 'field group person');
    assert.ok(props.person.properties.nickname, 'custom field merged into the field group object');
    assert.ok(props.loyalty.properties.points, 'field group loyalty');
    assert.equal(props.favouriteColour.type, 'string');
    assert.equal(props.orders.items.properties.sku.type, 'string');

    const ds = await server.api('POST', '/api/v1/datasets', { name: name('loyal_ds'), schemaId: schemaName });
    const sent = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, {
      _id: 'p1',
      person: { name: { firstName: 'Ada' }, nickname: 'ada' },
      loyalty: { points: 10 },
      favouriteColour: 'green',
      orders: [{ sku: 'A-1' }],
      account: { id: 'crm-1' },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.accepted, 1);
  });

  test('a schema name is unique in its sandbox', async () => {
    const schemaName = name('dup');
    assert.equal((await server.api('POST', '/api/v1/schemas', { name: schemaName, class: 'event' })).status, 201);
    assertProblem(await server.api('POST', '/api/v1/schemas', { name: schemaName, class: 'profile' }), 409, 'NAME_TAKEN');
    assertProblem(await server.api('POST', '/api/v1/schemas', { name: 'profile', class: 'profile' }), 409, 'NAME_TAKEN');
  });

  test('a malformed schema body is refused with 400 VALIDATION_FAILED naming the field', async () => {
    const res = await server.api('POST', '/api/v1/schemas', { name: name('bad'), class: 'thing' });
    assertProblem(res, 400, 'VALIDATION_FAILED');
    assert.ok(res.body.errors.some((e: any) => e.path === 'body.class'), JSON.stringify(res.body.errors));
    const badType = await server.api('POST', '/api/v1/schemas', { name: name('bad'), class: 'event', fields: { x: { type: 'date' } } });
    assertProblem(badType, 400, 'VALIDATION_FAILED');
  });

  test('fields named like JavaScript object internals are refused, at any depth and in paths', async () => {
    const refused: Record<string, unknown>[] = [
      { fields: { constructor: { type: 'string' } } },
      { fields: { loyalty2: { type: 'object', properties: { prototype: { type: 'string' } } } } },
      { fields: { x: { type: 'string' } }, required: ['x.constructor'] },
      { fields: { x: { type: 'string' } }, identities: [{ path: '__proto__.x', namespace: 'Email' }] },
    ];
    for (const extra of refused) {
      const res = await server.api('POST', '/api/v1/schemas', { name: name('reserved'), class: 'profile', ...extra });
      assertProblem(res, 400, 'VALIDATION_FAILED');
    }
    // A name that only starts like one is an ordinary name.
    const fine = await server.api('POST', '/api/v1/schemas', { name: name('unreserved'), class: 'profile', fields: { constructorName: { type: 'string' }, _proto: { type: 'string' } } });
    assert.equal(fine.status, 201, JSON.stringify(fine.body));
  });
});

describe('definitions refused with the path at fault', () => {
  test('a custom field that conflicts with a field group is refused with INVALID_SCHEMA naming the path', async () => {
    const res = await server.api('POST', '/api/v1/schemas', {
      name: name('clash'),
      class: 'profile',
      fieldGroups: ['person'],
      fields: { person: { type: 'object', properties: { birthYear: { type: 'string' } } } },
    });
    assertProblem(res, 422, 'INVALID_SCHEMA');
    assertNamesPath(res, 'person.birthYear', /already defined as integer/);
    const top = await server.api('POST', '/api/v1/schemas', { name: name('clash'), class: 'event', fieldGroups: ['web'], fields: { web: { type: 'string' } } });
    assertProblem(top, 422, 'INVALID_SCHEMA');
    assertNamesPath(top, 'web');
    const base = await server.api('POST', '/api/v1/schemas', { name: name('clash'), class: 'event', fields: { timestamp: { type: 'integer' } } });
    assertProblem(base, 422, 'INVALID_SCHEMA');
    assertNamesPath(base, 'timestamp');
  });

  test('unknown field groups and field groups of the other class are refused', async () => {
    const unknown = await server.api('POST', '/api/v1/schemas', { name: name('fg'), class: 'profile', fieldGroups: ['nope'] });
    assertProblem(unknown, 422, 'INVALID_SCHEMA');
    assertNamesPath(unknown, 'fieldGroups', /nope/);
    const wrongClass = await server.api('POST', '/api/v1/schemas', { name: name('fg'), class: 'profile', fieldGroups: ['web'] });
    assertProblem(wrongClass, 422, 'INVALID_SCHEMA');
    assertNamesPath(wrongClass, 'fieldGroups', /event/);
  });

  test('an identity on a field that does not exist is refused', async () => {
    const res = await server.api('POST', '/api/v1/schemas', loyaltyInput(name('idnf'), { identities: [{ path: 'account.missing', namespace: 'CRMID' }] }));
    assertProblem(res, 422, 'INVALID_SCHEMA');
    assertNamesPath(res, 'identities[0].path', /account\.missing/);
  });

  test('an identity on a field that is not a string is refused', async () => {
    for (const path of ['loyalty.points', 'account', 'orders']) {
      const res = await server.api('POST', '/api/v1/schemas', loyaltyInput(name('idtype'), { identities: [{ path, namespace: 'CRMID' }] }));
      assertProblem(res, 422, 'INVALID_SCHEMA');
      assertNamesPath(res, 'identities[0].path', /must be a string/);
    }
  });

  test('two primary identities are refused', async () => {
    const res = await server.api('POST', '/api/v1/schemas', loyaltyInput(name('prim'), {
      identities: [
        { path: 'account.id', namespace: 'CRMID', primary: true },
        { path: 'loyalty.loyaltyID', namespace: 'Loyalty', primary: true },
      ],
    }));
    assertProblem(res, 422, 'INVALID_SCHEMA');
    assertNamesPath(res, 'identities', /primary/);
  });

  test('a label on a field that does not exist is refused', async () => {
    const res = await server.api('POST', '/api/v1/schemas', loyaltyInput(name('lbl'), { labels: { 'person.shoeSize': ['C1'] } }));
    assertProblem(res, 422, 'INVALID_SCHEMA');
    assertNamesPath(res, 'labels.person.shoeSize');
  });

  test('a required path that is not a field is refused', async () => {
    const res = await server.api('POST', '/api/v1/schemas', loyaltyInput(name('req'), { required: ['account.nothing'] }));
    assertProblem(res, 422, 'INVALID_SCHEMA');
    assertNamesPath(res, 'required', /account\.nothing/);
  });

  test('a refused update leaves the schema as it was', async () => {
    const schemaName = name('keep');
    await server.api('POST', '/api/v1/schemas', loyaltyInput(schemaName));
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, loyaltyInput(schemaName, { identities: [{ path: 'nope', namespace: 'X' }] }));
    assertProblem(res, 422, 'INVALID_SCHEMA');
    const now = await server.api('GET', `/api/v1/schemas/${schemaName}`);
    assert.equal(now.body.version, 1);
    assert.equal(now.body.identities[0].path, 'account.id');
  });
});

describe('validation through ingest', () => {
  test('each rejected record names its index and the dot path of every bad field', async () => {
    const ds = await server.api('POST', '/api/v1/datasets', { name: name('val_ds'), schemaId: 'experience-event' });
    const res = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [
      { timestamp: '2026-11-01T10:00:00Z' },
      { web: { webPageDetails: { name: 'x' } } },
      { timestamp: '2026-11-01T10:00:00Z', unknownThing: 1 },
      { timestamp: '2026-11-01T10:00:00Z', commerce: { order: { priceTotal: 'lots' } } },
      { timestamp: '2026-11-01T10:00:00Z', device: { type: 'phone' } },
      { timestamp: '31/12/2026' },
      { timestamp: '2026-11-01T10:00:00Z', productListItems: [{ SKU: 'ok' }, { SKU: 42 }] },
    ]);
    assert.equal(res.status, 207, JSON.stringify(res.body));
    assert.equal(res.body.accepted, 1);
    const paths = Object.fromEntries(res.body.rejected.map((r: any) => [r.index, r.errors.map((e: any) => `${e.path}: ${e.message}`)]));
    assert.deepEqual(paths, {
      1: ['timestamp: is required'],
      2: ['unknownThing: is not a field of the schema'],
      3: ['commerce.order.priceTotal: must be a number'],
      4: [paths[4][0]],
      5: ['timestamp: must be a date-time (RFC 3339, e.g. 2026-01-31T09:30:00Z)'],
      6: ['productListItems[1].SKU: must be a string'],
    });
    assert.match(paths[4][0], /^device\.type: must be one of "mobile"/);
  });
});

describe('schema evolution', () => {
  async function schemaWithDataset(withData: boolean) {
    const schemaName = name('evo');
    const created = await server.api('POST', '/api/v1/schemas', loyaltyInput(schemaName));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ds = await server.api('POST', '/api/v1/datasets', { name: name('evo_ds'), schemaId: schemaName });
    assert.equal(ds.status, 201);
    if (withData) {
      const sent = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, { _id: 'p1', account: { id: 'a1' }, loyalty: { points: 3 } });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
    return { schemaName, id: created.body.id as string, datasetId: ds.body.id as string };
  }

  const withoutFavourite = (schemaName: string) => {
    const input = loyaltyInput(schemaName) as any;
    delete input.fields.favouriteColour;
    delete input.labels.favouriteColour;
    return input;
  };
  const retyped = (schemaName: string) => {
    const input = loyaltyInput(schemaName) as any;
    input.fields.favouriteColour = { type: 'integer' };
    return input;
  };
  const newlyRequired = (schemaName: string) => loyaltyInput(schemaName, { required: ['favouriteColour'] });

  test('before a dataset holds data, any change is fine', async () => {
    const { schemaName } = await schemaWithDataset(false);
    for (const [i, change] of [withoutFavourite, retyped, newlyRequired, (n: string) => ({ ...loyaltyInput(n), fieldGroups: ['person'] })].entries()) {
      const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, change(schemaName));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.version, i + 2, 'each change is a new version');
    }
  });

  test('after data, adding a field (anywhere, arrays included) is accepted and ingest takes it at once', async () => {
    const { schemaName, datasetId } = await schemaWithDataset(true);
    const input = loyaltyInput(schemaName) as any;
    input.fields.newTopLevel = { type: 'string' };
    input.fields.account.properties.region = { type: 'string' };
    input.fields.orders.items.properties.quantity = { type: 'integer' };
    input.fieldGroups = ['person', 'loyalty', 'crm'];
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, input);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.version, 2);
    const sent = await server.api('POST', `/api/v1/ingest/${datasetId}`, {
      _id: 'p2',
      account: { id: 'a2', region: 'eu' },
      newTopLevel: 'yes',
      orders: [{ sku: 's', quantity: 2 }],
      crm: { segment: 'vip' },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
  });

  test('after data, removing a field is refused with 409 SCHEMA_CHANGE_NOT_ADDITIVE naming it', async () => {
    const { schemaName } = await schemaWithDataset(true);
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, withoutFavourite(schemaName));
    assertProblem(res, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(res, 'favouriteColour', /removed/);
    const nested = loyaltyInput(schemaName) as any;
    delete nested.fields.orders.items.properties.sku;
    const inArray = await server.api('PUT', `/api/v1/schemas/${schemaName}`, nested);
    assertProblem(inArray, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(inArray, 'orders.sku', /removed/);
    const group = await server.api('PUT', `/api/v1/schemas/${schemaName}`, { ...loyaltyInput(schemaName), fieldGroups: ['person'] });
    assertProblem(group, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(group, 'loyalty', /removed/);
  });

  test('after data, changing a field type is refused naming it', async () => {
    const { schemaName } = await schemaWithDataset(true);
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, retyped(schemaName));
    assertProblem(res, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(res, 'favouriteColour');
    const inArray = loyaltyInput(schemaName) as any;
    inArray.fields.orders.items.properties.sku = { type: 'number' };
    const arrayRes = await server.api('PUT', `/api/v1/schemas/${schemaName}`, inArray);
    assertProblem(arrayRes, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(arrayRes, 'orders.sku');
    const cls = await server.api('PUT', `/api/v1/schemas/${schemaName}`, { name: schemaName, class: 'event' });
    assertProblem(cls, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(cls, 'class');
  });

  test('after data, making a field required is refused naming it', async () => {
    const { schemaName } = await schemaWithDataset(true);
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, newlyRequired(schemaName));
    assertProblem(res, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(res, 'favouriteColour', /required/);
    const inline = loyaltyInput(schemaName) as any;
    inline.fields.account.required = ['plan'];
    const inlineRes = await server.api('PUT', `/api/v1/schemas/${schemaName}`, inline);
    assertProblem(inlineRes, 409, 'SCHEMA_CHANGE_NOT_ADDITIVE');
    assertNamesPath(inlineRes, 'account.plan', /required/);
    const current = await server.api('GET', `/api/v1/schemas/${schemaName}`);
    assert.equal(current.body.version, 1, 'nothing refused was stored');
  });

  test('a schema a dataset uses cannot be deleted; once the dataset is gone it can', async () => {
    const { schemaName, id, datasetId } = await schemaWithDataset(true);
    const res = await server.api('DELETE', `/api/v1/schemas/${schemaName}`);
    assertProblem(res, 409, 'SCHEMA_IN_USE');
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${datasetId}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/schemas/${id}`)).status, 204);
    assertProblem(await server.api('GET', `/api/v1/schemas/${id}`), 404, 'SCHEMA_NOT_FOUND');
    assertProblem(await server.api('DELETE', `/api/v1/schemas/${id}`), 404, 'SCHEMA_NOT_FOUND');
  });

  test('once the data is deleted with its dataset, any change is fine again', async () => {
    const { schemaName, datasetId } = await schemaWithDataset(true);
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${datasetId}`)).status, 204);
    const res = await server.api('PUT', `/api/v1/schemas/${schemaName}`, retyped(schemaName));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});
