/**
 * `pql_ts` reads every text exactly as `parseTimestamp` does: its strptime path for the shapes
 * toISOString writes, its regular expression for the rest, and null for what is no timestamp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../pql/time.ts';
import { openPqlDatabase } from './test-support.ts';

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

test('pql_ts reads each text as parseTimestamp does, fast path or not', async () => {
  const db = await openPqlDatabase();
  try {
    await db.connection.run('CREATE TABLE texts (i INTEGER, s VARCHAR)');
    const appender = await db.connection.createAppender('texts');
    TEXTS.forEach((text, i) => {
      appender.appendInteger(i);
      appender.appendVarchar(text);
      appender.endRow();
    });
    appender.closeSync();
    const reader = await db.connection.runAndReadAll('SELECT i, pql_ts(s) FROM texts UNION ALL SELECT -1, pql_ts(NULL) ORDER BY i');
    const read = new Map(reader.getRows().map(([i, ms]) => [Number(i), ms === null ? null : Number(ms)]));
    assert.equal(read.get(-1), null, 'null reads as null');
    for (const [i, text] of TEXTS.entries()) assert.equal(read.get(i), parseTimestamp(text), JSON.stringify(text));
    assert.ok(TEXTS.filter((t) => parseTimestamp(t) !== null).length >= 15, 'most texts are timestamps');
  } finally {
    db.close();
  }
});
