/**
 * Quoting for the SQL the lake writes itself (paths, column names, type texts). User SQL is never
 * spliced into these; it runs as its own statement in the locked-down query instance.
 *
 * @example
 *   `SELECT ${quoteIdent('order')} FROM read_parquet(${quoteLiteral("/data/it's.parquet")})`;
 */

/** A double-quoted identifier: `order` → `"order"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted string literal: `it's` → `'it''s'`. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

/** A list literal of strings: `['a', 'b']`. */
export function quoteLiteralList(items: readonly string[]): string {
  return `[${items.map(quoteLiteral).join(', ')}]`;
}
