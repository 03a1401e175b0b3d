/**
 * The in-memory PQL engine (streaming and edge evaluation). Import from here.
 *
 * @example
 *   import { compileExpression } from './segmentation/evaluate/index.ts';
 *   const q = compileExpression(parseOrThrow('homeAddress.countryCode = "US"'));
 *   q.matches({ profile: { homeAddress: { countryCode: 'US' } }, events: [], now: Date.now() });  // true
 */
export { compileExpression, usesClock, type CompiledExpression } from './compile.ts';
export { PqlCompileError, type PqlCompileErrorCode } from './errors.ts';
export type { CompileOptions, EvaluationInput } from './frame.ts';
export { asAudience, toJsonValue, TimeValue, MapEntry, type PqlValue, type PqlObject } from './values.ts';
export { LINEAR_ENGINE } from './regex.ts';
