/**
 * The table of every PQL operator and function `fnApply` may name: how it is written (infix,
 * prefix, method on a receiver, global call), how many arguments it takes, which argument is the
 * optional case-sensitivity flag, which arguments are evaluated once per element of the receiver
 * (an implicit scope), and what kind of value it returns. The parser, the JSON validator, the
 * printer and the analysis all read this one table; an unknown name is an error everywhere.
 *
 * @example
 *   functionSpec('contains');  // { syntax: 'method', minArgs: 1, maxArgs: 2, caseFlagArg: 1, ... }
 */
import { editDistance } from './edit-distance.ts';

export type FunctionSyntax = 'infix' | 'prefix' | 'method' | 'global';
export type FunctionCategory = 'comparison' | 'boolean' | 'arithmetic' | 'string' | 'array' | 'aggregation' | 'map' | 'object' | 'datetime' | 'segment';
export type ResultKind = 'boolean' | 'number' | 'string' | 'array' | 'map' | 'any';

export interface FunctionSpec {
  name: string;
  syntax: FunctionSyntax;
  category: FunctionCategory;
  /** Arguments besides the receiver (methods) or all arguments (global, infix, prefix). */
  minArgs: number;
  maxArgs: number;
  /** Index among the arguments of the optional case-sensitivity flag (a boolean literal; default true). */
  caseFlagArg?: number;
  /** Indexes of arguments evaluated per element of the receiver, with the element as implicit scope. */
  elementArgs?: readonly number[];
  /** Indexes of arguments that must be non-negative integer literals. */
  integerLiteralArgs?: readonly number[];
  /** Indexes of arguments that must be string literals. */
  stringLiteralArgs?: readonly number[];
  result: ResultKind;
  /** Reads the clock (`currentMonth()`...): the value changes with time alone. */
  readsClock?: boolean;
}

type Spec = Omit<FunctionSpec, 'name'>;

const infix = (category: FunctionCategory, result: ResultKind): Spec => ({ syntax: 'infix', category, minArgs: 2, maxArgs: 2, result });
const method = (category: FunctionCategory, result: ResultKind, minArgs: number, maxArgs = minArgs, extra: Partial<Spec> = {}): Spec => ({
  syntax: 'method', category, minArgs, maxArgs, result, ...extra,
});
const stringTest = method('string', 'boolean', 1, 2, { caseFlagArg: 1 });
const aggregate = method('aggregation', 'any', 0, 1, { elementArgs: [0] });

const SPECS: Record<string, Spec> = {
  // comparison
  '=': infix('comparison', 'boolean'),
  '!=': infix('comparison', 'boolean'),
  '<': infix('comparison', 'boolean'),
  '<=': infix('comparison', 'boolean'),
  '>': infix('comparison', 'boolean'),
  '>=': infix('comparison', 'boolean'),
  // boolean
  and: infix('boolean', 'boolean'),
  or: infix('boolean', 'boolean'),
  not: { syntax: 'prefix', category: 'boolean', minArgs: 1, maxArgs: 1, result: 'boolean' },
  if: { syntax: 'global', category: 'boolean', minArgs: 3, maxArgs: 3, result: 'any' },
  // arithmetic
  '+': infix('arithmetic', 'number'),
  '-': infix('arithmetic', 'number'),
  '*': infix('arithmetic', 'number'),
  '/': infix('arithmetic', 'number'),
  '%': infix('arithmetic', 'number'),
  negate: { syntax: 'prefix', category: 'arithmetic', minArgs: 1, maxArgs: 1, result: 'number' },
  // string
  like: infix('string', 'boolean'),
  startsWith: stringTest,
  doesNotStartWith: stringTest,
  endsWith: stringTest,
  doesNotEndWith: stringTest,
  contains: stringTest,
  doesNotContain: stringTest,
  equals: stringTest,
  notEqualTo: stringTest,
  matches: method('string', 'boolean', 1),
  regexGroup: method('string', 'string', 1, 2, { integerLiteralArgs: [1] }),
  // arrays, lists, sets
  in: infix('array', 'boolean'),
  notIn: infix('array', 'boolean'),
  intersects: method('array', 'boolean', 1),
  intersection: method('array', 'array', 1),
  subsetOf: method('array', 'boolean', 1),
  supersetOf: method('array', 'boolean', 1),
  includes: method('array', 'boolean', 1),
  distinct: method('array', 'array', 0),
  groupBy: method('array', 'map', 1, 1, { elementArgs: [0] }),
  filter: method('array', 'array', 1, 1, { elementArgs: [0] }),
  map: method('array', 'any', 1, 1, { elementArgs: [0] }),
  topN: method('array', 'array', 2, 2, { elementArgs: [0], integerLiteralArgs: [1] }),
  bottomN: method('array', 'array', 2, 2, { elementArgs: [0], integerLiteralArgs: [1] }),
  head: method('array', 'any', 0),
  exists: method('array', 'boolean', 1, 1, { elementArgs: [0] }),
  // aggregation
  count: method('aggregation', 'number', 0),
  sum: { ...aggregate, result: 'number' },
  average: { ...aggregate, result: 'number' },
  min: aggregate,
  max: aggregate,
  // maps
  get: method('map', 'any', 1),
  keys: method('map', 'array', 0),
  values: method('map', 'array', 0),
  mapEntry: { syntax: 'global', category: 'map', minArgs: 2, maxArgs: 2, result: 'map' },
  // objects
  isNull: method('object', 'boolean', 0),
  isNotNull: method('object', 'boolean', 0),
  // date and time
  getYear: method('datetime', 'number', 0),
  getMonth: method('datetime', 'number', 0),
  getDayOfMonth: method('datetime', 'number', 0),
  currentYear: { syntax: 'global', category: 'datetime', minArgs: 0, maxArgs: 0, result: 'number', readsClock: true },
  currentMonth: { syntax: 'global', category: 'datetime', minArgs: 0, maxArgs: 0, result: 'number', readsClock: true },
  currentDayOfMonth: { syntax: 'global', category: 'datetime', minArgs: 0, maxArgs: 0, result: 'number', readsClock: true },
  // segments of segments
  inSegment: { syntax: 'global', category: 'segment', minArgs: 1, maxArgs: 1, stringLiteralArgs: [0], result: 'boolean' },
};

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(Object.entries(SPECS).map(([name, spec]) => [name, { name, ...spec }]));

/**
 * The spec of an operator or function, or undefined when PQL has no such name.
 *
 * @example
 *   functionSpec('topN')?.elementArgs;  // [0]
 */
export function functionSpec(name: string): FunctionSpec | undefined {
  return FUNCTIONS.get(name);
}

/**
 * How many `params` an `fnApply` of this function holds at least and at most (methods count the receiver).
 *
 * @example
 *   paramRange(functionSpec('contains')!);  // { min: 2, max: 3 }
 */
export function paramRange(spec: FunctionSpec): { min: number; max: number } {
  const receiver = spec.syntax === 'method' ? 1 : 0;
  return { min: spec.minArgs + receiver, max: spec.maxArgs + receiver };
}

/**
 * The method or global function closest to `name` (a small edit distance, ignoring case), for "did you mean" hints.
 *
 * @example
 *   closestFunctionName('contanis');  // 'contains'
 */
export function closestFunctionName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 4)) + 1;
  const lower = name.toLowerCase();
  for (const [candidate, spec] of FUNCTIONS) {
    if (spec.syntax !== 'method' && spec.syntax !== 'global') continue;
    const d = editDistance(lower, candidate.toLowerCase(), 2);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}


/**
 * Describes the arity for messages.
 *
 * @example
 *   describeArity(functionSpec('contains')!);  // '1 or 2 arguments'
 */
export function describeArity(spec: FunctionSpec): string {
  const { minArgs: min, maxArgs: max } = spec;
  const noun = (n: number) => (n === 1 ? 'argument' : 'arguments');
  if (max === 0) return 'no arguments';
  if (min === max) return `${min} ${noun(min)}`;
  if (max === min + 1) return `${min} or ${max} ${noun(max)}`;
  return `${min} to ${max} arguments`;
}
