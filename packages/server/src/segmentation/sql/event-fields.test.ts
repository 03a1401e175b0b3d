import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../pql/parser.ts';
import { compileToSql } from './compile.ts';
import { EventFields, eventFieldsFor } from './event-fields.ts';
import { EVENT_STRUCT } from './input-layout.ts';

const now = Date.parse('2025-06-18T15:00:00Z');
const fieldsOf = (...pql: string[]) => eventFieldsFor(pql.map((q) => ({ ast: parseOrThrow(q), now })));

test('event types and time windows read the typed columns and add no field; a body path becomes one field, shared', () => {
  assert.equal(fieldsOf('chain(xEvent, timestamp, [A: WHAT(eventType = "order") WHEN(< 7 days before now)])').struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR)');
  const fields = fieldsOf(
    'xEvent[eventType = "order"].sum(commerce.order.priceTotal) > 200',
    'exists E from xEvent where E.commerce.order.priceTotal > 400',
    'xEvent[web.webPageDetails.URL.contains("sale")].count() > 1',
  );
  assert.equal(fields.struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR, f0 JSON, f1 JSON)');
  assert.match(fields.structOf(), /'f0': coalesce\(pql_paths\[1\], pql_field\(pql_field\(pql_field\(body, 'commerce'\), 'order'\), 'priceTotal'\)\)/);
  assert.equal(fields.pathsOf(), "json_extract(body, ['/commerce/order/priceTotal', '/web/webPageDetails/URL']) AS pql_paths");
  const sql = compileToSql(parseOrThrow('exists E from xEvent where E.commerce.order.priceTotal > 400'), { now, eventFields: fields }).sql;
  assert.match(sql, /pql_q\d+\.f0/);
  assert.doesNotMatch(sql, /\.body/);
});

test('an event used as a whole keeps the body; profiles, other paths and untranslatable audiences change nothing', () => {
  assert.equal(eventFieldsFor([{ ast: parseOrThrow('xEvent[eventType = "order"]'), now, mode: 'value' }]).keepsBody, true);
  assert.equal(fieldsOf('homeAddress.countryCode = "US"').struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR)');
  // The JSON value of eventType is a field only where it is used as JSON (here, compared with another field).
  assert.equal(fieldsOf('xEvent[eventType = commerce.kind].count() > 0').struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR, f0 JSON, f1 JSON)');
});

test('fields fixed after reading refuse a path the lists were not gathered with; whole events are the default layout', () => {
  const fields = fieldsOf('xEvent[commerce.order.priceTotal > 1].count() > 0');
  assert.throws(() => compileToSql(parseOrThrow('xEvent[other.field > 1].count() > 0'), { now, eventFields: fields }), /gathered without the field other\.field/);
  assert.equal(new EventFields(true, false).struct(), EVENT_STRUCT);
  assert.equal(fields.fixed(true).struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR, body JSON, f0 JSON)');
});
