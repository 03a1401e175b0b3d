/**
 * The in-memory PQL engine for streaming and edge evaluation: compiles a parsed query once into
 * a tree of closures, then evaluates it against a profile, its events and a clock in
 * microseconds. Paths are pre-split into keys, scopes and variables pre-resolved to slots,
 * literals, `like` patterns and regexes prepared at compile time, time windows resolved once
 * per instant (shared by every query with the same window), chains served by a shared index of
 * the events, and boolean logic short-circuits. Evaluation never throws on data: a
 * wrong-typed value gives the documented result (docs/pql.md); only compiling can fail, with a
 * `PqlCompileError`. See docs/pql-evaluation.md.
 *
 * @example
 *   const audience = compileExpression(parseOrThrow('homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 3 hours before now)])'));
 *   audience.matches({ profile, events, now: Date.now() });        // true / false
 *   audience.nextChangeAt({ profile, events, now: Date.now() });   // when the 3 hours run out
 */
import { childExpressions, type Expr } from '../pql/ast.ts';
import { functionSpec, paramRange } from '../pql/functions.ts';
import { compileChain } from './chain.ts';
import { compileCollectionCall, compileFilter, COLLECTION_FUNCTIONS } from './collections.ts';
import { PqlCompileError } from './errors.ts';
import type { ChangeRecorder, CompileEnv, CompileOptions, Compiler, EvaluationInput, Evaluator, Frame } from './frame.ts';
import { compileOperator, OPERATORS } from './operators.ts';
import { compilePath } from './paths.ts';
import { compileAggregateOver, compileLet, compileQuantifier } from './quantifiers.ts';
import { compileStringCall, STRING_FUNCTIONS } from './strings.ts';
import { compileClock, compileDatePart, compileOccurs, compileTimeValue } from './time.ts';
import { asAudience, setOwn, type PqlObject, type PqlValue } from './values.ts';

/** A compiled query: call it for the value, or ask whether it matches and when it could next change. */
export interface CompiledExpression {
  (input: EvaluationInput): PqlValue;
  /** The value read as an audience: `true`, or a non-empty array. */
  matches(input: EvaluationInput): boolean;
  /**
   * The earliest instant after `input.now` at which the value could change without new data
   * (a window edge passing one of the events, a period rolling over), or undefined when time
   * alone cannot change it. Conservative: the value may still be the same then.
   */
  nextChangeAt(input: EvaluationInput): number | undefined;
  /** The query reads the clock (`now`, `today`, periods, `currentMonth()`...). */
  readonly readsClock: boolean;
}

const DEFAULT_OPTIONS: Required<CompileOptions> = { regexInputLimit: 10_000 };

/**
 * Compiles a PQL AST (from `parse`/`parseOrThrow` or `fromJson`). Throws `PqlCompileError` for an
 * unknown function, a wrong number of arguments, an unbound variable or a bad regex literal.
 *
 * @example
 *   const q = compileExpression(parseOrThrow('orders.sum(price)'));
 *   q({ profile: { orders: [{ price: 30 }, { price: 50 }] }, events: [], now: Date.now() });  // 80
 */
export function compileExpression(ast: Expr, options: CompileOptions = {}): CompiledExpression {
  const compiler = new ClosureCompiler({ ...DEFAULT_OPTIONS, ...options });
  const root = ast.nodeType === 'lambda' ? ast.body : ast;
  const evaluate = compiler.compile(root, { depth: 0, vars: new Map() });
  const sizes = { scope: compiler.maxDepth + 1, vars: compiler.slots };
  let idle: Frame | undefined;

  const run = (input: EvaluationInput, recorder: ChangeRecorder | null): PqlValue => {
    const frame = idle ?? newFrame(sizes);
    idle = undefined;
    frame.profile = input.profile as PqlObject;
    frame.events = input.events as readonly PqlObject[];
    frame.now = input.now;
    frame.inSegment = input.inSegment;
    frame.recorder = recorder;
    // No try/finally: evaluation does not throw on data, and if it ever did, the frame would
    // simply not be reused (the next run allocates a fresh one).
    const value = evaluate(frame);
    frame.recorder = null;
    idle = frame;
    return value;
  };
  const readsClock = usesClock(root);
  const compiled = (input: EvaluationInput): PqlValue => run(input, null);
  return Object.assign(compiled, {
    matches: (input: EvaluationInput) => asAudience(run(input, null)),
    nextChangeAt: (input: EvaluationInput): number | undefined => {
      if (!readsClock) return undefined;
      const recorder: ChangeRecorder = { now: input.now, next: Infinity };
      run(input, recorder);
      return Number.isFinite(recorder.next) ? recorder.next : undefined;
    },
    readsClock,
  });
}

function newFrame(sizes: { scope: number; vars: number }): Frame {
  return {
    profile: null, events: [], now: 0, inSegment: undefined, recorder: null,
    scope: new Array<PqlValue>(sizes.scope).fill(null),
    vars: new Array<PqlValue>(sizes.vars).fill(null),
  };
}

const CLOCK_FUNCTIONS = new Set(['currentYear', 'currentMonth', 'currentDayOfMonth']);

/** Whether an expression reads the evaluation time (`now`, windows, `today`, `currentYear()`...): its result can change with time alone. */
export function usesClock(node: Expr): boolean {
  const stack: Expr[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.nodeType === 'timeAnchor' || n.nodeType === 'timePeriod' || (n.nodeType === 'fnApply' && CLOCK_FUNCTIONS.has(n.fnName))) return true;
    stack.push(...childExpressions(n));
  }
  return false;
}

class ClosureCompiler implements Compiler {
  maxDepth = 0;
  slots = 0;
  constructor(readonly options: Required<CompileOptions>) {}

  slot(): number {
    return this.slots++;
  }

  noteDepth(depth: number): void {
    if (depth > this.maxDepth) this.maxDepth = depth;
  }

  compile(node: Expr, env: CompileEnv): Evaluator {
    switch (node.nodeType) {
      case 'literal': {
        if (node.literalType === 'Date' || node.literalType === 'DateTime') return compileTimeValue(node, env, this);
        const value = node.value;
        return () => value;
      }
      case 'arrayLiteral': {
        const items = node.items.map((i) => this.compile(i, env));
        if (node.items.every((i) => i.nodeType === 'literal' && i.literalType !== 'Date' && i.literalType !== 'DateTime')) {
          const constant = Object.freeze(items.map((i) => i(EMPTY_FRAME)));
          return () => constant;
        }
        return (f) => items.map((i) => i(f));
      }
      case 'objectLiteral': {
        const fields = node.fields.map((field) => ({ name: field.name, value: this.compile(field.value, env) }));
        return (f) => {
          const out: PqlObject = {};
          for (const field of fields) setOwn(out, field.name, field.value(f));
          return out;
        };
      }
      case 'parameterReference': case 'scopeReference': case 'fieldLookup':
        return compilePath(node, env, this);
      case 'variableReference': {
        const slot = env.vars.get(node.name);
        if (slot === undefined) throw new PqlCompileError('unknown_variable', `"${node.name}" is not bound here`);
        return (f) => f.vars[slot];
      }
      case 'fnApply': return this.compileCall(node.fnName, node.params, env);
      case 'filter': return compileFilter(node.array, node.condition, env, this);
      // A lambda is only meaningful as the root or as the argument of map/groupBy (handled there).
      case 'lambda': return () => null;
      case 'timeAnchor': case 'timePeriod': return compileTimeValue(node, env, this);
      case 'occurs': return compileOccurs(node, env, this);
      case 'chain': return compileChain(node, env, this);
      case 'quantifier': return compileQuantifier(node, env, this);
      case 'let': return compileLet(node, env, this);
      case 'aggregateOver': return compileAggregateOver(node, env, this);
    }
  }

  private compileCall(name: string, params: Expr[], env: CompileEnv): Evaluator {
    const spec = functionSpec(name);
    if (!spec) throw new PqlCompileError('unknown_function', `unknown function "${name}"`);
    const range = paramRange(spec);
    if (params.length < range.min || params.length > range.max) {
      throw new PqlCompileError('wrong_arity', `${name} takes ${range.min === range.max ? range.min : `${range.min} to ${range.max}`} operands but got ${params.length}`);
    }
    if (OPERATORS.has(name)) return compileOperator(name, params, env, this);
    if (STRING_FUNCTIONS.has(name)) return compileStringCall(name, params, env, this);
    if (COLLECTION_FUNCTIONS.has(name)) return compileCollectionCall(name, params, env, this);
    switch (name) {
      case 'isNull': case 'isNotNull': {
        const value = this.compile(params[0], env);
        const wantNull = name === 'isNull';
        return (f) => (value(f) === null) === wantNull;
      }
      case 'getYear': case 'getMonth': case 'getDayOfMonth':
        return compileDatePart(name, this.compile(params[0], env));
      case 'currentYear': case 'currentMonth': case 'currentDayOfMonth':
        return compileClock(name);
      case 'inSegment': {
        const id = this.compile(params[0], env);
        return (f) => {
          const v = id(f);
          return typeof v === 'string' && f.inSegment !== undefined && f.inSegment(v) === true;
        };
      }
    }
    throw new PqlCompileError('unknown_function', `the engine does not implement "${name}"`);
  }
}

const EMPTY_FRAME: Frame = newFrame({ scope: 0, vars: 0 });
