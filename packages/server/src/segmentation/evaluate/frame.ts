/**
 * The shapes every compiled piece shares: the evaluation input, the per-evaluation frame the
 * closures read (profile, events, clock, scope stack, variable slots, the change recorder
 * of `nextChangeAt`), and the compiler interface modules use to compile their children.
 *
 * Scopes and variables are resolved at compile time: a `scopeReference(up)` inside `d` open
 * scopes reads `frame.scope[d - 1 - up]`; each bound name gets its own slot in `frame.vars`. A
 * PQL query has no recursion, so one slot per binding site is enough.
 *
 * @example
 *   const run: Evaluator = (f) => f.now;  // a compiled node: frame in, value out
 */
import type { Expr } from '../pql/ast.ts';
import type { JsonObject } from '../../storage/json.ts';
import type { PqlValue } from './values.ts';

/** What one evaluation reads. */
export interface EvaluationInput {
  /** The merged profile's attributes. */
  profile: JsonObject;
  /** The profile's XDM events (`xEvent`), in any order. */
  events: readonly JsonObject[];
  /** The evaluation instant, epoch ms. */
  now: number;
  /** Whether the profile currently belongs to an audience (`realized` or `existing`); absent: never. */
  inSegment?: (id: string) => boolean;
}

/** Collects the instants after `now` at which a result could change with time alone. */
export interface ChangeRecorder {
  now: number;
  next: number;
}

/** Per-evaluation state; reused between evaluations of one compiled expression. */
export interface Frame {
  profile: PqlValue;
  events: readonly PqlValue[];
  now: number;
  inSegment: ((id: string) => boolean) | undefined;
  /** Current element of each open implicit scope, outermost first. */
  scope: PqlValue[];
  /** Values of bound names, by slot. */
  vars: PqlValue[];
  recorder: ChangeRecorder | null;
}

/** A compiled node. */
export type Evaluator = (frame: Frame) => PqlValue;

/** Where a node is compiled: how many implicit scopes are open and which names are bound to which slots. */
export interface CompileEnv {
  depth: number;
  vars: ReadonlyMap<string, number>;
}

/** What a module needs from the compiler to compile the children of its nodes. */
export interface Compiler {
  compile(node: Expr, env: CompileEnv): Evaluator;
  /** A fresh variable slot. */
  slot(): number;
  /** Notes that `depth` scopes are open somewhere, to size the scope stack. */
  noteDepth(depth: number): void;
  readonly options: Required<CompileOptions>;
}

export interface CompileOptions {
  /**
   * Strings longer than this (UTF-16 code units) are not tested by `matches`/`regexGroup` with a
   * pattern that needs the backtracking engine: the test is false (null for `regexGroup`).
   * Default 10,000.
   */
  regexInputLimit?: number;
}

/** Adds a variable binding to an environment. */
export function bindVariable(env: CompileEnv, name: string, slot: number): CompileEnv {
  const vars = new Map(env.vars);
  vars.set(name, slot);
  return { depth: env.depth, vars };
}

/** Opens one implicit scope. */
export function pushScope(env: CompileEnv): CompileEnv {
  return { depth: env.depth + 1, vars: env.vars };
}

/** Notes a candidate change instant (ignored unless after now and before the best so far). */
export function noteChange(frame: Frame, at: number): void {
  const r = frame.recorder;
  if (r !== null && at > r.now && at < r.next) r.next = at;
}
