/**
 * Which SQL the query service accepts: one read-only statement (SELECT, WITH, VALUES, FROM, TABLE,
 * DESCRIBE, SHOW, SUMMARIZE, EXPLAIN of those). This check gives clear messages and keeps writes to
 * the sandbox's own files out; the DuckDB lockdown is what keeps other files out.
 *
 * @example
 *   assertReadOnlyText('COPY web_events TO \'/tmp/x.csv\''); // throws QUERY_REJECTED: "COPY statements are not allowed ..."
 */
import { StatementType } from '@duckdb/node-api';
import { problem } from '../errors.ts';

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE', 'DESCRIBE', 'DESC', 'SHOW', 'SUMMARIZE']);
const READ_STATEMENT_TYPES = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/** The SQL after leading blanks, comments and opening parentheses. */
function skipTrivia(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.replace(/^[\s(]+/, '');
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end < 0 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}

/** The leading keyword of a statement, upper-cased, and the text after it. */
function leadingKeyword(sql: string): { keyword: string; rest: string } {
  const text = skipTrivia(sql);
  const match = /^[A-Za-z_]+/.exec(text);
  return match ? { keyword: match[0].toUpperCase(), rest: text.slice(match[0].length) } : { keyword: '', rest: text };
}

/**
 * Refuses statements that do not begin like a read-only query. `EXPLAIN [ANALYZE]` must itself be
 * followed by a read-only query (EXPLAIN ANALYZE runs the statement).
 */
export function assertReadOnlyText(sql: string): void {
  let { keyword, rest } = leadingKeyword(sql);
  if (keyword === 'EXPLAIN') {
    ({ keyword, rest } = leadingKeyword(rest));
    if (keyword === 'ANALYZE' || keyword === 'ANALYSE') ({ keyword } = leadingKeyword(rest));
  }
  if (keyword === '') throw problem('QUERY_REJECTED', 'the query holds no SQL statement');
  if (!READ_KEYWORDS.has(keyword)) {
    throw problem('QUERY_REJECTED', `${keyword} statements are not allowed: the query service runs one read-only query (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)`);
  }
}

/** Refuses a statement whose parsed type (from DuckDB) is not a query. */
export function assertReadOnlyStatementType(type: StatementType): void {
  if (!READ_STATEMENT_TYPES.has(type)) {
    throw problem('QUERY_REJECTED', `${StatementType[type] ?? 'this'} statements are not allowed: the query service runs one read-only query`);
  }
}
