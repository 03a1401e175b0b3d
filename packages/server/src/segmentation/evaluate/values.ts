/**
 * Runtime values of the in-memory PQL engine and the rules that compare them: the value type,
 * time values (`today`, `date(...)` used outside `occurs`), map entries, truthiness, equality
 * and ordering exactly as docs/pql.md "Values and missing fields" states them.
 *
 * @example
 *   pqlEquals(1, 1.0);                  // true
 *   pqlEquals(['a', 'b'], ['b', 'a']);  // true (arrays compare as sets of distinct values)
 *   pqlCompare('1', 1);                 // undefined (different types are never ordered)
 */

import { cachedTimestamp } from './timestamps.ts';

/** A time word or date literal used as a value: an instant (`start === end`) or a period `[start, end)`. */
export class TimeValue {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly instant: boolean,
  ) {}
}

/** What `mapEntry(k, v)` returns; `map((K, G) => mapEntry(...))` collects entries into a map. */
export class MapEntry {
  constructor(
    readonly key: string,
    readonly value: PqlValue,
  ) {}
}

export type PqlObject = { [key: string]: PqlValue };
export type PqlValue = null | boolean | number | string | TimeValue | MapEntry | readonly PqlValue[] | PqlObject;

/** A plain JSON object (a profile, an event, a map), not an array or one of the engine's classes. */
export function isPlainObject(value: PqlValue | undefined): value is PqlObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof TimeValue) && !(value instanceof MapEntry);
}

/**
 * The audience reading of a value: `true`, or a non-empty array.
 *
 * @example
 *   asAudience([{}]);  // true
 *   asAudience(null);  // false
 */
export function asAudience(value: PqlValue): boolean {
  return holds(value);
}

/**
 * Whether a condition (a filter's brackets, a `filter`/`exists` element argument, a quantifier's
 * `where`, a chain's `WHAT`/`WHERE`) holds: `true`, or a non-empty array — so the nested filter
 * `xEvent[productListItems[SKU = "PS"]]` keeps the events that have such an item. The boolean
 * operators (`and`, `or`, `not`, `if`) accept only `true`.
 *
 * @example
 *   holds([1]);  // true
 */
export function holds(value: PqlValue): boolean {
  return value === true || (Array.isArray(value) && value.length > 0);
}

/** The elements a collection operation iterates: an array's items, nothing for null, else the value alone. */
export function elementsOf(value: PqlValue): readonly PqlValue[] {
  if (value === null) return EMPTY;
  return Array.isArray(value) ? value : [value];
}

export const EMPTY: readonly PqlValue[] = Object.freeze([]);

/** A number result, with `-0`, infinities and NaN normalized (`-0` → 0, non-finite → null). */
export function numberResult(n: number): number | null {
  if (!Number.isFinite(n)) return null;
  return n === 0 ? 0 : n;
}

/** Epoch ms of a value used as a time: an ISO timestamp string or a time value; else null. */
export function instantOf(value: PqlValue): number | null {
  if (typeof value === 'string') return cachedTimestamp(value);
  if (value instanceof TimeValue) return value.start;
  return null;
}

/**
 * PQL `=` between two non-null values: numbers by value, strings exactly, arrays as sets of
 * distinct values, objects by keys (any order), a time value against a timestamp string by instant.
 * Values of different types are never equal.
 *
 * @example
 *   pqlEquals('"1"', 1);  // false
 */
export function pqlEquals(a: PqlValue, b: PqlValue): boolean {
  if (a === null || b === null) return false;
  if (typeof a !== 'object' && typeof b !== 'object') return a === b;
  if (a instanceof TimeValue || b instanceof TimeValue) {
    const x = instantOf(a);
    const y = instantOf(b);
    return x !== null && y !== null && x === y;
  }
  if (Array.isArray(a)) return Array.isArray(b) && sameMembers(a, b) && sameMembers(b, a);
  if (Array.isArray(b)) return false;
  if (a instanceof MapEntry || b instanceof MapEntry) {
    return a instanceof MapEntry && b instanceof MapEntry && a.key === b.key && deepEquals(a.value, b.value);
  }
  return typeof a === 'object' && typeof b === 'object' && deepEquals(a, b);
}

function sameMembers(a: readonly PqlValue[], b: readonly PqlValue[]): boolean {
  for (const x of a) if (!containsValue(b, x)) return false;
  return true;
}

/** Whether `list` holds a value `=` to `x` (a null `x` is never found). */
export function containsValue(list: readonly PqlValue[], x: PqlValue): boolean {
  if (x === null) return false;
  if (typeof x !== 'object') {
    for (const item of list) if (item === x) return true;
    return false;
  }
  for (const item of list) if (pqlEquals(item, x)) return true;
  return false;
}

/** Structural equality for objects and nested values (numbers by value, arrays in order). */
function deepEquals(a: PqlValue, b: PqlValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlainObject(a) || !isPlainObject(b)) return pqlEquals(a, b);
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !deepEquals(a[key] ?? null, b[key] ?? null)) return false;
  return true;
}

/**
 * PQL ordering: a negative number, zero or a positive number, or undefined when the two values
 * are not ordered (a null side, different types, booleans, arrays, objects). Numbers by value,
 * strings by UTF-16 code unit, a time value against a timestamp string by instant.
 *
 * @example
 *   pqlCompare('Zebra', 'apple');  // < 0
 */
export function pqlCompare(a: PqlValue, b: PqlValue): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof TimeValue || b instanceof TimeValue) {
    const x = instantOf(a);
    const y = instantOf(b);
    return x === null || y === null ? undefined : x - y;
  }
  return undefined;
}

/**
 * A plain-JSON copy of a value, for API answers and tests: time values become ISO strings (an
 * instant) or `{start, end}`, a map entry becomes `{key: value}`.
 *
 * @example
 *   toJsonValue(new TimeValue(0, 0, true));  // '1970-01-01T00:00:00.000Z'
 */
export function toJsonValue(value: PqlValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof TimeValue) return value.instant ? new Date(value.start).toISOString() : { start: new Date(value.start).toISOString(), end: new Date(value.end).toISOString() };
  if (value instanceof MapEntry) return { [value.key]: toJsonValue(value.value) };
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: { [key: string]: unknown } = {};
  for (const [key, v] of Object.entries(value)) setOwn(out, key, toJsonValue(v ?? null));
  return out;
}

/** Sets an own property, even for the key `__proto__` (which plain assignment would not create). */
export function setOwn<T>(target: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

