import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../pql/parser.ts';
import { compileToSql } from './compile.ts';
import { EventFields } from './event-fields.ts';
import { inputFieldsFor } from './input-fields.ts';
import { EVENT_STRUCT } from './input-layout.ts';
import { openPqlDatabase } from './test-support.ts';
import { loadPqlInput } from './input-layout.ts';

const now = Date.parse('2025-06-18T15:00:00Z');
const fieldsOf = (...pql: string[]) => inputFieldsFor(pql.map((q) => ({ ast: parseOrThrow(q), now })));

test('event types and time windows read the typed columns and add no field; a body path becomes the typed fields its audiences read, shared', () => {
  assert.equal(fieldsOf('chain(xEvent, timestamp, [A: WHAT(eventType = "order") WHEN(< 7 days before now)])').events.struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR)');
  const { events } = fieldsOf(
    'xEvent[eventType = "order"].sum(commerce.order.priceTotal) > 200',
    'exists E from xEvent where E.commerce.order.priceTotal > 400',
    'xEvent[web.webPageDetails.URL.contains("sale")].count() > 1',
  );
  // A price summed and compared with a number is one DOUBLE; a URL tested as text one VARCHAR.
  assert.equal(events.struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR, n0 DOUBLE, s1 VARCHAR)');
  assert.match(events.structOf(), /'n0': pql_col_num\(pql_v0\)/);
  assert.match(events.eventsWithValues('SELECT * FROM pql_events'), /CASE WHEN pql_paths\[1\] IS NULL THEN pql_field\(pql_field\(pql_field\(body, 'commerce'\), 'order'\), 'priceTotal'\) ELSE pql_paths\[1\] END AS pql_v0/);
  const compiled = compileToSql(parseOrThrow('xEvent[eventType = "order"].sum(commerce.order.priceTotal) > 200'), { now, fields: fieldsOf('xEvent[eventType = "order"].sum(commerce.order.priceTotal) > 200') }).sql;
  assert.match(compiled, /pql_e\.n0|\.n0\b/);
  assert.doesNotMatch(compiled, /pql_num/);
  // Read both as a number and as JSON (compared with another field): both fields of one path.
  assert.equal(
    fieldsOf('xEvent[commerce.order.priceTotal > 5 and commerce.order.priceTotal = commerce.order.tax].count() > 0').events.struct(),
    'STRUCT(ts_ms BIGINT, event_type VARCHAR, f0 JSON, n0 DOUBLE, f1 JSON)',
  );
  assert.match(events.eventsWithValues('SELECT * FROM pql_events'), /json_extract\(body, \['\/commerce\/order\/priceTotal', '\/web\/webPageDetails\/URL'\]\) AS pql_paths/);
  // The JSON value of eventType is a field only where it is used as JSON (here, compared with another field).
  assert.equal(fieldsOf('xEvent[eventType = commerce.kind].count() > 0').events.struct(), 'STRUCT(ts_ms BIGINT, event_type VARCHAR, f0 JSON, f1 JSON)');
  assert.equal(inputFieldsFor([{ ast: parseOrThrow('xEvent[eventType = "order"]'), now, mode: 'value' }]).events.keepsBody, true);
  assert.equal(new EventFields().struct(), EVENT_STRUCT);
});

test('each profile path becomes the typed columns its audiences read, and the document is kept only for a whole-profile use', () => {
  const fields = fieldsOf('homeAddress.countryCode = "US" and loyalty.points > 5000', 'homeAddress.countryCode in ["CA", "MX"]', 'person.signupDate occurs < 90 days before now');
  const sql = fields.profile.tableSql();
  assert.deepEqual([...sql.matchAll(/ AS ([sntba]\d+)\b/g)].map((m) => m[1]).filter((c) => !c.startsWith('a')).sort(), ['n1', 's0', 't2']);
  assert.equal(fields.profile.keepsAttributes, false);
  const compiled = compileToSql(parseOrThrow('homeAddress.countryCode = "US" and loyalty.points > 5000'), { now, fields }).sql;
  assert.match(compiled, /FROM pql_profile_fields p/);
  assert.match(compiled, /p\.s0 = 'US'/);
  assert.doesNotMatch(compiled, /attributes/);
  // `$1` is the whole profile.
  assert.equal(inputFieldsFor([{ ast: parseOrThrow('$1'), now, mode: 'value' }]).profile.keepsAttributes, true);
  assert.throws(() => compileToSql(parseOrThrow('person.age > 30'), { now, fields }), /extracted without person\.age/);
  assert.throws(() => compileToSql(parseOrThrow('xEvent[other.field > 1].count() > 0'), { now, fields }), /gathered without the field other\.field/);
});

test('the extracted columns hold what the audiences would read from the document, type by type', async () => {
  const db = await openPqlDatabase();
  try {
    await loadPqlInput(db.connection, [
      { profileId: 'str', attributes: { v: 'US' }, events: [] },
      { profileId: 'num', attributes: { v: 5 }, events: [] },
      { profileId: 'bool', attributes: { v: true }, events: [] },
      { profileId: 'time', attributes: { v: '2025-06-01T00:00:00Z' }, events: [] },
      { profileId: 'array', attributes: { v: [{ w: 1 }, { w: 2 }] }, events: [] },
      { profileId: 'none', attributes: {}, events: [] },
    ]);
    const queries = ['v = "US"', 'v > 4', 'v = true', 'v occurs < 30 days before now', 'v[w = 2]', 'not (v = "US")'];
    const fields = fieldsOf(...queries);
    await db.connection.run(fields.profile.tableSql());
    for (const q of queries) {
      const whole = compileToSql(parseOrThrow(q), { now });
      const narrow = compileToSql(parseOrThrow(q), { now, fields });
      const rows = async (c: typeof whole) => (await db.connection.runAndReadAll(c.sql, c.params)).getRows().map((r) => String(r[0])).sort();
      assert.deepEqual(await rows(narrow), await rows(whole), q);
      assert.ok((await rows(whole)).length > 0, `${q} selects someone`);
    }
  } finally {
    db.close();
  }
});
