/**
 * The `date` and `date-time` formats without regular expressions, for the validators Ajv compiles:
 * every record of a batch file or a stream checks its dates, and ajv-formats' versions (a
 * `RegExp.exec` with its match array per date, a `split` per date-time) were ~15% of a batch
 * reader's time. Same answers as ajv-formats' full formats: `date` is reimplemented whole;
 * `date-time` answers the canonical shape itself (`2026-01-31T09:30:00Z`, with or without a
 * fraction: what coercion writes and most senders send) and hands anything else to ajv-formats.
 * `date-formats.test.ts` holds both to ajv-formats' answers.
 *
 * @example
 *   isFullDate('2024-02-29'); // true
 *   isFullDate('2023-02-29'); // false
 */
import formats from 'ajv-formats/dist/formats.js';

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DASH = 45;
const COLON = 58;
const DOT = 46;
const UPPER_T = 84;
const UPPER_Z = 90;

/** The number written by `count` ASCII digits from `at`, or -1 when one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** `YYYY-MM-DD` starting at `at`, a day that exists (RFC 3339 full-date). */
function fullDateAt(text: string, at: number): boolean {
  if (text.charCodeAt(at + 4) !== DASH || text.charCodeAt(at + 7) !== DASH) return false;
  const year = digitsAt(text, at, 4);
  const month = digitsAt(text, at + 5, 2);
  const day = digitsAt(text, at + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month]);
}

/** RFC 3339 full-date, as ajv-formats' full `date`. */
export function isFullDate(text: string): boolean {
  return text.length === 10 && fullDateAt(text, 0);
}

const fallbackDateTime = formats.fullFormats['date-time'] as { validate: (text: string) => boolean };

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with a time that exists, or undefined for any other shape. */
function canonicalDateTime(text: string): boolean | undefined {
  const length = text.length;
  if (length < 20 || text.charCodeAt(10) !== UPPER_T || text.charCodeAt(length - 1) !== UPPER_Z) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  if (length > 20) {
    if (length === 21 || text.charCodeAt(19) !== DOT || digitsAt(text, 20, length - 21) < 0) return undefined;
  }
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 59) return undefined;
  return fullDateAt(text, 0);
}

/** RFC 3339 date-time with a time zone, as ajv-formats' full `date-time`. */
export function isDateTime(text: string): boolean {
  return canonicalDateTime(text) ?? fallbackDateTime.validate(text);
}
