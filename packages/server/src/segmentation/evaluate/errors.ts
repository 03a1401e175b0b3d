/**
 * Compile errors of the in-memory engine. Only compiling can fail (an unknown function, a
 * variable bound nowhere, an unsafe or invalid regular expression literal); evaluating never
 * throws on data.
 *
 * @example
 *   try { compileExpression(ast); } catch (e) { if (e instanceof PqlCompileError) e.code; }
 */

export type PqlCompileErrorCode = 'unknown_function' | 'wrong_arity' | 'unknown_variable' | 'invalid_regex' | 'unsafe_regex';

/** A query the engine cannot compile, with a stable code. */
export class PqlCompileError extends Error {
  override name = 'PqlCompileError';
  constructor(
    readonly code: PqlCompileErrorCode,
    message: string,
  ) {
    super(message);
  }
}
