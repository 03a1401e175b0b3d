/**
 * The PQL front end: parse `pql/text`, print it back, convert to and from `pql/json`, analyze a
 * query and classify its evaluation method. Engines (the in-memory evaluator, the SQL compiler)
 * consume the AST defined in `ast.ts`, follow the time rules in `time.ts`, and run the shared
 * conformance table `PQL_CASES`. Import from here rather than from the files behind it.
 *
 * @example
 *   import { parse, analyze, classifyEvaluation } from './segmentation/pql/index.ts';
 *   const result = parse('homeAddress.countryCode = "US"');
 *   if (result.ok) classifyEvaluation(analyze(result.ast)).method;  // 'edge'
 */
export * from './ast.ts';
export { parse, parseOrThrow, type ParseOptions, type ParseResult } from './parser.ts';
export { PqlParseError, type PqlSyntaxError } from './errors.ts';
export { print } from './print.ts';
export { fromJson, toJson, toJsonText, type FromJsonResult, type PqlJsonError } from './json.ts';
export { analyze, type EventReference, type EventWindow, type PqlAnalysis } from './analysis.ts';
export { classifyEvaluation, STREAMING_WINDOW_MS, type ClassifyContext, type EvaluationClassification, type EvaluationMethod } from './classify.ts';
export { FUNCTIONS, functionSpec, paramRange, type FunctionSpec, type FunctionSyntax, type ResultKind } from './functions.ts';
export * as pqlTime from './time.ts';
export { PQL_CASES, NOW as CASES_NOW, type JsonValue, type PqlCase, type XdmEvent } from './cases.ts';
