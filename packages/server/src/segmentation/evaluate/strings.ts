/**
 * String functions: the tests with their case-sensitivity flag (`contains`, `startsWith`...,
 * and their negations), `like`, `matches` and `regexGroup`. A test with a null or non-string
 * side is false — the negated tests too. Literal arguments are prepared at compile time
 * (lower-cased for case-insensitive tests, `like` patterns checked, regexes compiled).
 *
 * @example
 *   // person.name.startsWith("john", false)
 *   compileStringCall('startsWith', params, env, compiler);
 */
import type { Expr } from '../pql/ast.ts';
import type { CompileEnv, Compiler, Evaluator, Frame } from './frame.ts';
import { likeMatcher, likeMatches } from './like.ts';
import { compileJavaRegex, dynamicRegex, type SafeRegex } from './regex.ts';

type Test = (text: string, arg: string) => boolean;

const TESTS: Record<string, Test> = {
  contains: (t, a) => t.includes(a),
  doesNotContain: (t, a) => !t.includes(a),
  startsWith: (t, a) => t.startsWith(a),
  doesNotStartWith: (t, a) => !t.startsWith(a),
  endsWith: (t, a) => t.endsWith(a),
  doesNotEndWith: (t, a) => !t.endsWith(a),
  equals: (t, a) => t === a,
  notEqualTo: (t, a) => t !== a,
};

export const STRING_FUNCTIONS = new Set([...Object.keys(TESTS), 'like', 'matches', 'regexGroup']);

/**
 * Lower-cased strings, cached: the audiences of one pass test the same few profile and event
 * strings case-insensitively again and again (a bounded map of short strings; cleared when full).
 */
const LOWER_LIMIT = 10_000;
const LOWER_MAX_LENGTH = 256;
let lowered = new Map<string, string>();

/**
 * `text.toLowerCase()`, from the cache for short strings.
 *
 * @example
 *   lowerCase('AddToCart');  // 'addtocart'
 */
export function lowerCase(text: string): string {
  if (text.length > LOWER_MAX_LENGTH) return text.toLowerCase();
  let v = lowered.get(text);
  if (v === undefined) {
    v = text.toLowerCase();
    if (lowered.size >= LOWER_LIMIT) lowered = new Map();
    lowered.set(text, v);
  }
  return v;
}

function stringLiteral(node: Expr | undefined): string | undefined {
  return node?.nodeType === 'literal' && node.literalType === 'String' ? node.value : undefined;
}

/** Compiles a string function application (`params` as in the AST: receiver first). */
export function compileStringCall(name: string, params: Expr[], env: CompileEnv, compiler: Compiler): Evaluator {
  const receiver = compiler.compile(params[0], env);
  if (name === 'like') return compileLike(receiver, params[1], env, compiler);
  if (name === 'matches' || name === 'regexGroup') return compileRegexCall(name, receiver, params, env, compiler);
  const test = TESTS[name];
  const flag = params[2];
  const caseSensitive = !(flag?.nodeType === 'literal' && flag.value === false);
  const literal = stringLiteral(params[1]);
  if (literal !== undefined) {
    const arg = caseSensitive ? literal : literal.toLowerCase();
    return caseSensitive
      ? (f) => {
          const t = receiver(f);
          return typeof t === 'string' && test(t, arg);
        }
      : (f) => {
          const t = receiver(f);
          return typeof t === 'string' && test(lowerCase(t), arg);
        };
  }
  const argument = compiler.compile(params[1], env);
  return (f) => {
    const t = receiver(f);
    if (typeof t !== 'string') return false;
    const a = argument(f);
    if (typeof a !== 'string') return false;
    return caseSensitive ? test(t, a) : test(lowerCase(t), lowerCase(a));
  };
}

function compileLike(receiver: Evaluator, patternNode: Expr, env: CompileEnv, compiler: Compiler): Evaluator {
  const literal = stringLiteral(patternNode);
  if (literal !== undefined) {
    if (literal === '%') return (f) => typeof receiver(f) === 'string';
    const matcher = likeMatcher(literal);
    return (f) => {
      const t = receiver(f);
      return typeof t === 'string' && matcher(t);
    };
  }
  const pattern = compiler.compile(patternNode, env);
  return (f) => {
    const t = receiver(f);
    const p = pattern(f);
    return typeof t === 'string' && typeof p === 'string' && likeMatches(t, p);
  };
}

function compileRegexCall(name: 'matches' | 'regexGroup', receiver: Evaluator, params: Expr[], env: CompileEnv, compiler: Compiler): Evaluator {
  const literal = stringLiteral(params[1]);
  const fixed = literal !== undefined ? compileJavaRegex(literal) : undefined;
  const dynamic = fixed ? undefined : compiler.compile(params[1], env);
  const limit = compiler.options.regexInputLimit;
  const groupNode = params[2];
  const group = groupNode?.nodeType === 'literal' && typeof groupNode.value === 'number' ? groupNode.value : 0;
  const regexFor = (f: Frame): SafeRegex | null => {
    if (fixed) return fixed;
    const p = dynamic ? dynamic(f) : null;
    return typeof p === 'string' ? dynamicRegex(p) : null;
  };
  if (name === 'matches') {
    return (f) => {
      const t = receiver(f);
      if (typeof t !== 'string') return false;
      const re = regexFor(f);
      if (re === null || (!re.linear && t.length > limit)) return false;
      return re.regex.test(t);
    };
  }
  return (f) => {
    const t = receiver(f);
    if (typeof t !== 'string') return null;
    const re = regexFor(f);
    if (re === null || (!re.linear && t.length > limit)) return null;
    const m = re.regex.exec(t);
    if (m === null || group >= m.length) return null;
    return m[group] ?? null;
  };
}
