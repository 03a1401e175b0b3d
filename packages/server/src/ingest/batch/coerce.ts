/**
 * Coercion of file values to schema field types: CSV text (`"42"`, `"yes"`, `"2026-01-31 09:30"`)
 * and typed Parquet values (BIGINT as text, TIMESTAMP as text, structs) become the JSON the
 * schema expects. Dates and date-times accept ISO 8601 and come out as RFC 3339. A value that
 * cannot be coerced yields a `CoercionFailure` saying why; validation (enums, patterns, ranges)
 * is the schema validator's job afterwards.
 *
 * @example
 *   const toInteger = textCoercer({ type: 'integer' });
 *   toInteger('42');   // 42
 *   toInteger('4.5');  // CoercionFailure { message: 'must be an integer, got "4.5"' }
 *   textCoercer({ type: 'string', format: 'date-time' })('2026-01-31 09:30:00+01:00'); // '2026-01-31T08:30:00.000Z'
 */
import type { FieldDefinition } from '../../schema/model.ts';
import type { JsonValue } from '../../storage/json.ts';

export class CoercionFailure {
  constructor(readonly message: string) {}
}

export type Coerced = JsonValue | CoercionFailure;
export type TextCoercer = (text: string) => Coerced;

const INTEGER = /^[+-]?\d+(?:\.0*)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
// ISO 8601, extended or basic: date, optional time (T or space), optional fraction, optional zone.
const DATE_TIME =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;

function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * ISO 8601 date-time text → RFC 3339 in UTC; no zone means UTC, a date alone means midnight UTC.
 *
 * @example
 *   toRfc3339('2026-01-31 09:30:00+01:00'); // '2026-01-31T08:30:00.000Z'
 *   toRfc3339('31/01/2026');                // CoercionFailure
 */
export function toRfc3339(text: string): string | CoercionFailure {
  const m = DATE_TIME.exec(text);
  const fail = () => new CoercionFailure(`must be a date-time (ISO 8601, e.g. 2026-01-31T09:30:00Z), got ${quoted(text)}`);
  if (!m) return fail();
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (!isCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return fail();
  const millis = m[7] ? m[7].slice(0, 3).padEnd(3, '0') : '000';
  const zone = m[8];
  if (!zone || zone === 'Z' || zone === 'z') {
    // Already UTC: spell it out without a Date round trip (the common case, and the hot path).
    return `${m[1]}-${m[2]}-${m[3]}T${twoDigits(hour)}:${twoDigits(minute)}:${twoDigits(second)}.${millis}Z`;
  }
  const digits = zone.replace(':', '');
  const offsetHours = Number(digits.slice(1, 3));
  const offsetMinutes = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
  if (offsetHours > 23 || offsetMinutes > 59) return fail();
  const offset = (zone[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, Number(millis)));
  local.setUTCFullYear(year);
  const iso = new Date(local.getTime() - offset * 60_000).toISOString();
  // Years past 9999 (or before 0001) after the zone shift are not RFC 3339.
  return iso.length === 24 ? iso : fail();
}

/**
 * ISO 8601 date text (`2026-01-31`, `20260131`, or a date-time whose date part is taken as written) → `YYYY-MM-DD`.
 *
 * @example
 *   toIsoDate('20260131'); // '2026-01-31'
 */
export function toIsoDate(text: string): string | CoercionFailure {
  const m = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    return new CoercionFailure(`must be a date (YYYY-MM-DD), got ${quoted(text)}`);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Up to 15 digits are always a safe integer, and read the same by `Number`. */
const MAX_PLAIN_DIGITS = 15;

/** True for 1 to 15 ASCII digits and nothing else: text that is its number as written (the common cell). */
function isPlainDigits(text: string): boolean {
  const length = text.length;
  if (length === 0 || length > MAX_PLAIN_DIGITS) return false;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char < DIGIT_0 || char > DIGIT_9) return false;
  }
  return true;
}

/** The number `count` ASCII digits from `from` spell, or -1 when one of them is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let at = from; at < from + count; at++) {
    const digit = text.charCodeAt(at) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const DASH = 0x2d;

/** `YYYY-MM-DD` as written, when it is a calendar date: the date coercer's answer without its regular expressions. */
function isPlainIsoDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  return year >= 0 && month >= 0 && day >= 0 && isCalendarDate(year, month, day);
}

function coerceInteger(text: string): Coerced {
  if (isPlainDigits(text)) return Number(text);
  const trimmed = text.trim();
  if (INTEGER.test(trimmed)) {
    const n = Number(trimmed);
    if (Number.isSafeInteger(n)) return n;
    return new CoercionFailure(`must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${quoted(text)}`);
  }
  return new CoercionFailure(`must be an integer, got ${quoted(text)}`);
}

function coerceNumber(text: string): Coerced {
  if (isPlainDigits(text)) return Number(text);
  const trimmed = text.trim();
  if (NUMBER.test(trimmed)) {
    const n = Number(trimmed);
    if (Number.isFinite(n)) return n;
  }
  return new CoercionFailure(`must be a number, got ${quoted(text)}`);
}

function coerceBoolean(text: string): Coerced {
  const value = BOOLEANS[text.trim().toLowerCase()];
  return value ?? new CoercionFailure(`must be a boolean (true/false, 1/0, yes/no), got ${quoted(text)}`);
}

function jsonCoercer(kind: 'object' | 'array'): TextCoercer {
  return (text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return new CoercionFailure(`must be JSON (${kind === 'object' ? 'an object' : 'an array'}), got ${quoted(text)}`);
    }
    const isArray = Array.isArray(parsed);
    if (typeof parsed !== 'object' || parsed === null || isArray !== (kind === 'array')) {
      return new CoercionFailure(`must be JSON ${kind === 'object' ? 'object' : 'array'}, got ${quoted(text)}`);
    }
    return parsed as JsonValue;
  };
}

const identity: TextCoercer = (text) => text;
const rfc3339: TextCoercer = (text) => toRfc3339(text.trim());
const isoDate: TextCoercer = (text) => (isPlainIsoDate(text) ? text : toIsoDate(text.trim()));

/**
 * The coercer for non-empty text cells of a field, chosen once per column.
 *
 * @example
 *   textCoercer({ type: 'boolean' })('Yes'); // true
 */
export function textCoercer(def: FieldDefinition): TextCoercer {
  switch (def.type) {
    case 'integer':
      return coerceInteger;
    case 'number':
      return coerceNumber;
    case 'boolean':
      return coerceBoolean;
    case 'object':
    case 'array':
      return jsonCoercer(def.type);
    case 'string':
      return def.format === 'date-time' ? rfc3339 : def.format === 'date' ? isoDate : identity;
  }
}

/**
 * True for a cell that means "no value": empty, or only blanks in a non-string field.
 *
 * @example
 *   isBlankCell(' ', { type: 'integer' }); // true
 */
export function isBlankCell(text: string, def: FieldDefinition): boolean {
  return text === '' || (def.type !== 'string' && isBlankText(text));
}

/**
 * True for text of blanks only (what `trim` removes), asked for every cell of a non-string
 * column: text starting with a visible ASCII character is answered without trimming.
 *
 * @example
 *   isBlankText(' \t'); // true
 */
export function isBlankText(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return text.trim() === '';
}

/**
 * A typed value (Parquet, via DuckDB's JSON conversion) → the field's type. Text goes through the
 * text coercers (BIGINT and TIMESTAMP arrive as text); structs and lists are walked with their
 * definitions; `undefined` means "absent" (SQL NULL).
 *
 * @example
 *   coerceTypedValue('9007199254740991', { type: 'integer' }); // 9007199254740991 (a BIGINT)
 *   coerceTypedValue(null, { type: 'string' });                 // undefined
 */
export function coerceTypedValue(value: JsonValue, def: FieldDefinition): Coerced | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return textCoercer(def)(value);
  switch (def.type) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : new CoercionFailure(`must be an integer, got ${JSON.stringify(value)}`);
    case 'number':
      return typeof value === 'number' ? value : new CoercionFailure(`must be a number, got ${JSON.stringify(value)}`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      return new CoercionFailure(`must be a boolean, got ${JSON.stringify(value)}`);
    case 'string':
      if ((typeof value === 'number' || typeof value === 'boolean') && !def.format) return String(value);
      return new CoercionFailure(`must be a ${def.format ?? 'string'}, got ${JSON.stringify(value)}`);
    case 'array':
      if (!Array.isArray(value)) return new CoercionFailure(`must be an array, got ${JSON.stringify(value)}`);
      return coerceItems(value, def);
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return new CoercionFailure(`must be an object, got ${JSON.stringify(value)}`);
      return coerceProperties(value, def);
  }
}

function coerceItems(values: JsonValue[], def: FieldDefinition): Coerced {
  if (!def.items) return values;
  const out: JsonValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const item = coerceTypedValue(values[i], def.items);
    if (item instanceof CoercionFailure) return new CoercionFailure(`item ${i} ${item.message}`);
    out.push(item === undefined ? null : item);
  }
  return out;
}

function coerceProperties(value: { [key: string]: JsonValue }, def: FieldDefinition): Coerced {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, child] of Object.entries(value)) {
    const childDef = def.additionalProperties ?? def.properties?.[key];
    if (!childDef) {
      out[key] = child; // the validator names unknown fields precisely
      continue;
    }
    const coerced = coerceTypedValue(child, childDef);
    if (coerced instanceof CoercionFailure) return new CoercionFailure(`field ${key} ${coerced.message}`);
    if (coerced !== undefined) out[key] = coerced;
  }
  return out;
}
