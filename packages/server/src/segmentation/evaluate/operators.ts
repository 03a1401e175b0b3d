/**
 * Operators: comparisons (every comparison with a null side is false; `!=` is the negation of
 * `=` only between two non-null values), two-valued logic (`and`, `or`, `not`, `if` treat
 * anything but `true` as false, and short-circuit), and arithmetic (a null or non-number
 * operand gives null; `/` divides exactly; division or remainder by zero is null).
 *
 * @example
 *   // loyalty.points / 0 > 1  →  false
 *   compileOperator('>', params, env, compiler);
 */
import type { Expr } from '../pql/ast.ts';
import { noteChange, type CompileEnv, type Compiler, type Evaluator } from './frame.ts';
import { instantOf, numberResult, pqlCompare, pqlEquals, type PqlValue } from './values.ts';

export const OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'and', 'or', 'not', 'if', '+', '-', '*', '/', '%', 'negate']);

type Compare = (a: PqlValue, b: PqlValue) => boolean;

const ordered = (test: (d: number) => boolean): Compare => (a, b) => {
  if (a === null || b === null) return false;
  if (typeof a === 'number' && typeof b === 'number') return test(a - b);
  const d = pqlCompare(a, b);
  return d !== undefined && test(d);
};

const COMPARE: Record<string, Compare> = {
  '=': (a, b) => a !== null && b !== null && (a === b || (typeof a === 'object' || typeof b === 'object' ? pqlEquals(a, b) : false)),
  '!=': (a, b) => a !== null && b !== null && !(a === b || (typeof a === 'object' || typeof b === 'object' ? pqlEquals(a, b) : false)),
  '<': ordered((d) => d < 0),
  '<=': ordered((d) => d <= 0),
  '>': ordered((d) => d > 0),
  '>=': ordered((d) => d >= 0),
};

type Arithmetic = (a: number, b: number) => number | null;

const ARITHMETIC: Record<string, Arithmetic> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b === 0 ? null : a / b),
  '%': (a, b) => (b === 0 ? null : a % b),
};

const isNow = (node: Expr) => node.nodeType === 'timeAnchor' && node.anchor === 'now';

/** Compiles an operator application. */
export function compileOperator(name: string, params: Expr[], env: CompileEnv, compiler: Compiler): Evaluator {
  const [a, b, c] = params.map((p) => compiler.compile(p, env));
  switch (name) {
    case 'and': return (f) => a(f) === true && b(f) === true;
    case 'or': return (f) => a(f) === true || b(f) === true;
    case 'not': return (f) => a(f) !== true;
    case 'if': return (f) => (a(f) === true ? b(f) : c(f));
    case 'negate': return (f) => {
      const v = a(f);
      return typeof v === 'number' ? numberResult(-v) : null;
    };
  }
  const compare = COMPARE[name];
  if (compare) {
    // `ts > now` changes when now passes ts: note it for nextChangeAt.
    const nowSide = isNow(params[0]) ? 1 : isNow(params[1]) ? 0 : -1;
    if (nowSide >= 0) {
      return (f) => {
        const x = a(f);
        const y = b(f);
        if (f.recorder !== null) {
          const other = instantOf(nowSide === 0 ? x : y);
          if (other !== null) {
            noteChange(f, other);
            noteChange(f, other + 1);
          }
        }
        return compare(x, y);
      };
    }
    return (f) => compare(a(f), b(f));
  }
  const arithmetic = ARITHMETIC[name];
  return (f) => {
    const x = a(f);
    if (typeof x !== 'number') return null;
    const y = b(f);
    if (typeof y !== 'number') return null;
    const r = arithmetic(x, y);
    return r === null ? null : numberResult(r);
  };
}
