/**
 * Safe SQL text: string literals with strict quoting, numbers as DOUBLE literals, and JSON
 * Pointers for field paths. User text from a query only ever reaches SQL through these.
 *
 * @example
 *   sqlString("O'Brien");         // 'O''Brien'
 *   jsonPointer(['a/b', 'c~d']);  // '/a~1b/c~0d'
 */

/**
 * A DuckDB string literal. Standard SQL strings have no backslash escapes, so doubling the
 * quote is the whole escaping; NUL cannot appear in a DuckDB string and is refused.
 *
 * @example
 *   sqlString('it\'s');  // "'it''s'"
 */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new Error('a string with a NUL character cannot be used in SQL');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A finite number as a DOUBLE literal (every PQL number is a double in SQL).
 *
 * @example
 *   sqlNumber(3);  // 'CAST(3 AS DOUBLE)'
 */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return `CAST(${String(value)} AS DOUBLE)`;
}

/**
 * An RFC 6901 JSON Pointer for a list of object keys.
 *
 * @example
 *   jsonPointer(['homeAddress', 'countryCode']);  // '/homeAddress/countryCode'
 */
export function jsonPointer(keys: readonly string[]): string {
  return keys.map((k) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** True when a JSON Pointer step with this key could index an array instead of reading a key. */
export function isArrayIndexLike(key: string): boolean {
  return key === '' || key === '-' || /^\d+$/.test(key);
}
