/**
 * `pql_ts` reads every text exactly as `parseTimestamp` does: its strptime path for the shapes
 * toISOString writes, its regular expression for the rest, and null for what is no timestamp.
 * The `pql_col_*` typings read every JSON value as `pql_str`, `pql_num`, `pql_bool`, `pql_time` do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../pql/time.ts';
import { openPqlDatabase, type PqlDatabase } from './test-support.ts';

const TEXTS = [
  '2025-06-18T15:00:00Z',
  '2025-06-18T15:00:00.250Z',
  '2025-06-18T15:00:00.000Z',
  '2025-06-18T15:00:00.5Z',
  '2025-06-18T15:00:00.123456789Z',
  '2025-06-18T15:00:00+02:00',
  '2025-06-18T15:00:00-0530',
  '2025-06-18T15:00:00',
  '2025-06-18 15:00:00',
  '2025-06-18T15:00Z',
  '2025-06-18',
  '2024-02-29T23:59:59Z',
  '2023-02-29T10:00:00Z', // no such day
  '2025-06-31T10:00:00Z',
  '2025-13-01T10:00:00Z',
  '2025-06-18T24:00:00Z',
  '2025-06-18T23:60:00Z',
  '2025-06-18T23:59:60Z', // a leap second is not read
  '2025-6-18T15:00:00Z',
  '2025-06-18T5:00:00Z',
  '+025-06-18T15:00:00Z',
  ' 2025-06-18T15:00:00Z',
  '2025-06-18T15:00:00Z ',
  '2025-06-18t15:00:00z',
  '0999-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '2025-06-18T15:00:00.25Z',
  '2025-06-18T15:00:00.2500Z',
  'yesterday',
  '',
];

/** A table `texts (i, <column>)` of the texts by index. */
async function textsTable(connection: PqlDatabase['connection'], column: string, texts: readonly string[]): Promise<void> {
  await connection.run(`CREATE TABLE texts (i INTEGER, ${column})`);
  const appender = await connection.createAppender('texts');
  texts.forEach((text, i) => {
    appender.appendInteger(i);
    appender.appendVarchar(text);
    appender.endRow();
  });
  appender.closeSync();
}

test('pql_ts reads each text as parseTimestamp does, fast path or not', async () => {
  const db = await openPqlDatabase();
  try {
    await textsTable(db.connection, 's VARCHAR', TEXTS);
    const reader = await db.connection.runAndReadAll('SELECT i, pql_ts(s) FROM texts UNION ALL SELECT -1, pql_ts(NULL) ORDER BY i');
    const read = new Map(reader.getRows().map(([i, ms]) => [Number(i), ms === null ? null : Number(ms)]));
    assert.equal(read.get(-1), null, 'null reads as null');
    for (const [i, text] of TEXTS.entries()) assert.equal(read.get(i), parseTimestamp(text), JSON.stringify(text));
    assert.ok(TEXTS.filter((t) => parseTimestamp(t) !== null).length >= 15, 'most texts are timestamps');
  } finally {
    db.close();
  }
});

/** JSON texts of every type, as JSON's writers leave them and otherwise (spaces, escapes, odd numbers). */
const JSON_TEXTS = [
  '""', '"a"', '"US"', '"a\\"b"', '"caf\\u00e9"', '"é日本"', '"\\\\"', '"tab\\tx"', '"1.5"', '"true"', '"2025-06-18T15:00:00Z"',
  ' "x" ', '"x" ', ' 5 ', '5', '-0', '0.5', '1e400', '-1.5E3', '12345678901234567890', 'NaN', '-Infinity',
  'true', 'false', ' true', 'null', '[1]', '[]', '{"a":1}', '{}', '"2025-06-18T15:00:00.250Z"', '"2025-06-18"',
];

test('the column typings read every JSON value as the general ones do', async () => {
  const db = await openPqlDatabase();
  try {
    await textsTable(db.connection, 'j JSON', JSON_TEXTS);
    const reader = await db.connection.runAndReadAll(`SELECT i,
        pql_str(j) IS NOT DISTINCT FROM pql_col_str(j),
        pql_num(j) IS NOT DISTINCT FROM pql_col_num(j) OR (isnan(pql_num(j)) AND isnan(pql_col_num(j))),
        pql_bool(j) IS NOT DISTINCT FROM pql_col_bool(j),
        pql_time(j) IS NOT DISTINCT FROM pql_col_time(j),
        pql_str(j), pql_col_str(j)
      FROM (SELECT i, j FROM texts UNION ALL SELECT -1, NULL) ORDER BY i`);
    for (const [i, str, num, bool, time, general, column] of reader.getRows()) {
      const text = i === -1 ? 'NULL' : JSON_TEXTS[Number(i)];
      assert.deepEqual([str, num, bool, time], [true, true, true, true], `${text} (as a string: ${String(general)} / ${String(column)})`);
    }
    const typed = await db.connection.runAndReadAll(`SELECT count(pql_col_str(j)), count(pql_col_num(j)), count(pql_col_bool(j)), count(pql_col_time(j)) FROM texts`);
    assert.deepEqual(typed.getRows()[0].map(Number), [15, 9, 3, 3], 'each typing reads some of them');
  } finally {
    db.close();
  }
});
