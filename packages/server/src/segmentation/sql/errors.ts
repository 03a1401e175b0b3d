/**
 * The one error the PQL → SQL compiler throws: a construct that has no set-oriented SQL
 * translation (so the audience is "not batch-evaluable"), named so the classifier and the
 * user can see which part of the query is the reason.
 *
 * @example
 *   throw new PqlSqlCompileError('lambda', 'a lambda is only supported as groupBy(...).map((K, G) => mapEntry(K, ...))');
 */
export class PqlSqlCompileError extends Error {
  override readonly name = 'PqlSqlCompileError';
  /** The construct that cannot be compiled: a node type, a function name, or a short description. */
  readonly construct: string;

  constructor(construct: string, detail: string) {
    super(`cannot compile ${construct} to SQL: ${detail}`);
    this.construct = construct;
  }
}
