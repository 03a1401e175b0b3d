import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CoercionFailure, coerceTypedValue, isBlankCell, isBlankText, textCoercer, toIsoDate, toRfc3339 } from './coerce.ts';
import type { FieldDefinition } from '../../schema/model.ts';

const INTEGER: FieldDefinition = { type: 'integer' };
const NUMBER: FieldDefinition = { type: 'number' };
const BOOLEAN: FieldDefinition = { type: 'boolean' };
const DATE: FieldDefinition = { type: 'string', format: 'date' };
const DATE_TIME: FieldDefinition = { type: 'string', format: 'date-time' };

function accepts(def: FieldDefinition, cases: [string, unknown][]) {
  const coerce = textCoercer(def);
  for (const [text, expected] of cases) assert.deepEqual(coerce(text), expected, `${JSON.stringify(text)} as ${def.type}/${def.format ?? ''}`);
}
function refuses(def: FieldDefinition, texts: string[]) {
  const coerce = textCoercer(def);
  for (const text of texts) assert.ok(coerce(text) instanceof CoercionFailure, `${JSON.stringify(text)} must be refused as ${def.type}/${def.format ?? ''}`);
}

test('integers: signs, blanks around, a zero fraction; not fractions, words, hex or unsafe sizes', () => {
  accepts(INTEGER, [['42', 42], ['-7', -7], ['+3', 3], [' 12 ', 12], ['5.0', 5], ['0', 0]]);
  refuses(INTEGER, ['4.5', 'four', '0x10', '1e3', '1,000', '9007199254740993', '']);
});

test('numbers: decimals and exponents; not words, NaN, Infinity or thousands separators', () => {
  accepts(NUMBER, [['12.5', 12.5], ['-0.25', -0.25], ['.5', 0.5], ['1e3', 1000], ['7', 7]]);
  refuses(NUMBER, ['abc', 'NaN', 'Infinity', '1,5', '1e400', '12.5.1']);
});

test('booleans: true/false, 1/0, yes/no in any case', () => {
  accepts(BOOLEAN, [['true', true], ['FALSE', false], ['1', true], ['0', false], ['Yes', true], ['no', false]]);
  refuses(BOOLEAN, ['y', 'on', '2', 'maybe']);
});

test('dates: ISO 8601 calendar dates only', () => {
  accepts(DATE, [['2026-01-31', '2026-01-31'], ['20260131', '2026-01-31'], ['2024-02-29', '2024-02-29'], ['2026-01-31T23:00:00-05:00', '2026-01-31']]);
  refuses(DATE, ['2026-02-30', '2023-02-29', '31/01/2026', '2026-13-01', '0000-01-01', 'soon']);
});

test('date-times: ISO 8601 in, RFC 3339 UTC out; no zone means UTC', () => {
  accepts(DATE_TIME, [
    ['2026-01-31T09:30:00Z', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31 09:30:00', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T09:30', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T09:30:00.123456+01:00', '2026-01-31T08:30:00.123Z'],
    ['2026-01-31T00:30:00-0130', '2026-01-31T02:00:00.000Z'],
    ['20260131T093000Z', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31 09:30:00+00', '2026-01-31T09:30:00.000Z'],
  ]);
  refuses(DATE_TIME, ['2026-01-31T24:00:00Z', '2026-02-30T00:00:00Z', '2026-01-31T09:60:00Z', 'yesterday', '2026-01-31T09:30:00+25:00', '9999-12-31T23:00:00-05:00']);
});

test('JSON cells fill object and array fields', () => {
  accepts({ type: 'object', properties: {} }, [['{"a":1}', { a: 1 }]]);
  accepts({ type: 'array', items: { type: 'string' } }, [['["x","y"]', ['x', 'y']]]);
  refuses({ type: 'object', properties: {} }, ['[1]', 'not json', 'null']);
});

test('a blank cell is no value; blanks are kept in string fields', () => {
  assert.equal(isBlankCell('', { type: 'string' }), true);
  assert.equal(isBlankCell('  ', { type: 'string' }), false);
  assert.equal(isBlankCell('  ', INTEGER), true);
});

test('typed values (Parquet) keep their type or go through the text rules', () => {
  assert.equal(coerceTypedValue('9007199254740991', INTEGER), 9007199254740991, 'BIGINT arrives as text');
  assert.equal(coerceTypedValue(null, INTEGER), undefined, 'NULL is absent');
  assert.equal(coerceTypedValue(3, { type: 'string' }), '3');
  assert.equal(coerceTypedValue(1, BOOLEAN), true);
  assert.ok(coerceTypedValue(2.5, INTEGER) instanceof CoercionFailure);
  assert.deepEqual(coerceTypedValue({ at: '2026-01-31 09:30:00', n: '4' }, { type: 'object', properties: { at: DATE_TIME, n: INTEGER } }), { at: '2026-01-31T09:30:00.000Z', n: 4 });
});

test('property: any instant written in ISO 8601 (any zone, either separator) comes back as that instant in RFC 3339', () => {
  const instant = fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true });
  const offsetMinutes = fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 });
  fc.assert(
    fc.property(instant, offsetMinutes, fc.constantFrom('T', ' '), fc.boolean(), (date, offset, separator, colon) => {
      const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23).replace('T', separator);
      const sign = offset < 0 ? '-' : '+';
      const abs = Math.abs(offset);
      const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${colon ? ':' : ''}${String(abs % 60).padStart(2, '0')}`;
      assert.equal(toRfc3339(local + zone), date.toISOString());
    }),
  );
});

test('property: coercion never throws, whatever the text', () => {
  const defs: FieldDefinition[] = [INTEGER, NUMBER, BOOLEAN, DATE, DATE_TIME, { type: 'string' }, { type: 'object', properties: {} }, { type: 'array' }];
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.constantFrom(...defs), (text, def) => {
      const out = textCoercer(def)(text);
      if (out instanceof CoercionFailure) assert.ok(out.message.length > 0);
      if (def.format === 'date' && !(out instanceof CoercionFailure)) assert.match(String(toIsoDate(String(out))), /^\d{4}-\d{2}-\d{2}$/);
    }),
    { numRuns: 2000 },
  );
});

/** Cell text near the shortcuts' edges: digits, signs, dots, dashes, exponents, blanks of every kind. */
const numberLike = fc.oneof(
  fc.stringMatching(/^\d{1,17}$/),
  fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', '.', 'e', ' ', '\t', '\u00a0', '\ufeff', 'x'), maxLength: 12 }),
);
const dateLike = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
  fc.string({ unit: fc.constantFrom('2', '0', '1', '9', '-', ' ', 'T', ':'), maxLength: 12 }),
);

/** The integer and number rules as written before their shortcut for plain digits. */
function byFullRules(text: string, type: 'integer' | 'number'): number | 'refused' {
  const trimmed = text.trim();
  const pattern = type === 'integer' ? /^[+-]?\d+(?:\.0*)?$/ : /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  if (!pattern.test(trimmed)) return 'refused';
  const n = Number(trimmed);
  return (type === 'integer' ? Number.isSafeInteger(n) : Number.isFinite(n)) ? n : 'refused';
}

test('property: plain digits take a shortcut that answers exactly as the full integer and number rules', () => {
  fc.assert(
    fc.property(numberLike, fc.constantFrom('integer' as const, 'number' as const), (text, type) => {
      const out = textCoercer({ type })(text);
      assert.deepEqual(out instanceof CoercionFailure ? 'refused' : out, byFullRules(text, type), JSON.stringify(text));
    }),
    { numRuns: 3000 },
  );
});

test('property: plain YYYY-MM-DD dates take a shortcut that answers exactly as the full date rules', () => {
  const coerce = textCoercer(DATE);
  fc.assert(
    fc.property(dateLike, (text) => {
      assert.deepEqual(coerce(text), toIsoDate(text.trim()), JSON.stringify(text));
    }),
    { numRuns: 3000 },
  );
});

test('property: a cell is blank exactly when trimming leaves nothing', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', 'a', '!', '~', '\u007f', 'é'), maxLength: 4 }), (text) => {
      assert.equal(isBlankText(text), text.trim() === '', JSON.stringify(text));
    }),
    { numRuns: 2000 },
  );
});
