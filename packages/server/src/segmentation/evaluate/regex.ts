/**
 * Java-compatible regular expressions for `matches` and `regexGroup`, run safely.
 *
 * Translation (Java → JavaScript): leading inline flags `(?i)`, `(?s)`, `(?m)`, `(?u)` (any
 * combination, e.g. `(?is)`) become JS flags; `\A` → `^`, `\z` → `$`, `\Z` → `(?=\n?$)`
 * (outside character classes); the Java POSIX classes `\p{Alpha}`, `\p{Digit}`, `\p{Alnum}`,
 * `\p{Upper}`, `\p{Lower}`, `\p{Punct}`, `\p{Space}` become ASCII classes. Possessive quantifiers
 * (`a*+`), atomic groups `(?>...)` and other Java-only syntax have no JS equivalent: such a
 * pattern is `invalid_regex`.
 *
 * Safety against catastrophic backtracking, in two layers:
 * 1. When V8's linear-time engine is available (enabled at load with the
 *    `--enable-experimental-regexp-engine` flag, which only adds the `l` regexp flag), every
 *    pattern it supports (no back-references, no look-arounds) runs on it: O(text × pattern).
 * 2. A pattern that needs the backtracking engine is refused (`unsafe_regex`) when it nests
 *    quantifiers (`(a+)+`, `(\w*\s?)*`) or quantifies a back-reference, and its input is capped:
 *    a string longer than `regexInputLimit` (default 10,000) does not match.
 * A pattern that arrives as data (not a literal) and fails either check simply does not match.
 *
 * @example
 *   const re = compileJavaRegex('(?i)^John');
 *   re.regex.test('john smith');  // true
 */
import { setFlagsFromString } from 'node:v8';
import { PqlCompileError } from './errors.ts';

/** Whether V8's linear engine (`l` flag) could be enabled in this process. */
export const LINEAR_ENGINE = enableLinearEngine();

function enableLinearEngine(): boolean {
  try {
    new RegExp('a', 'l');
    return true;
  } catch {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      new RegExp('a', 'l');
      return true;
    } catch {
      return false;
    }
  }
}

export interface SafeRegex {
  regex: RegExp;
  /** Runs on the linear engine: no input cap needed. */
  linear: boolean;
}

const POSIX: Record<string, string> = {
  Alpha: 'a-zA-Z', Digit: '0-9', Alnum: 'a-zA-Z0-9', Upper: 'A-Z', Lower: 'a-z', Space: ' \\t\\n\\x0B\\f\\r', Punct: '!-\\/:-@\\[-`{-~', XDigit: '0-9a-fA-F',
};

/** Java syntax → JS source and flags; throws `invalid_regex` for constructs JS lacks. */
function translate(pattern: string): { source: string; flags: string } {
  let flags = '';
  let rest = pattern;
  const inline = /^\(\?([imsux]+)\)/.exec(rest);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'x') throw new PqlCompileError('invalid_regex', 'the (?x) comments flag is not supported');
      if (f !== 'u' && !flags.includes(f)) flags += f;
    }
    rest = rest.slice(inline[0].length);
  }
  if (rest.includes('(?>')) throw new PqlCompileError('invalid_regex', 'atomic groups (?>...) are not supported');
  let source = '';
  let inClass = false;
  let afterQuantifier = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\' && i + 1 < rest.length) {
      const d = rest[i + 1];
      if (!inClass && d === 'A') source += '^';
      else if (!inClass && d === 'z') source += '$';
      else if (!inClass && d === 'Z') source += '(?=\\n?$)';
      else if (d === 'p' || d === 'P') {
        const m = /^\{(\w+)\}/.exec(rest.slice(i + 2));
        const cls = m ? POSIX[m[1]] : undefined;
        if (!m || !cls) throw new PqlCompileError('invalid_regex', `unsupported character class \\${d}${m ? m[0] : ''}`);
        source += inClass ? cls : `[${d === 'P' ? '^' : ''}${cls}]`;
        i += m[0].length;
      } else source += c + d;
      i++;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      source += c;
      continue;
    }
    if (c === '[') inClass = true;
    const braces = c === '{' ? /^\{\d+(?:,\d*)?\}/.exec(rest.slice(i)) : null;
    if (afterQuantifier && c === '+') throw new PqlCompileError('invalid_regex', 'possessive quantifiers (a*+, a++, a?+) are not supported');
    if (braces) {
      source += braces[0];
      i += braces[0].length - 1;
      afterQuantifier = true;
      continue;
    }
    const isQuantifier: boolean = c === '*' || c === '+' || (c === '?' && !afterQuantifier && source.length > 0 && source[source.length - 1] !== '(');
    source += c;
    afterQuantifier = isQuantifier;
  }
  return { source, flags };
}

/** Nested quantifiers or a quantified back-reference: the shapes that backtrack exponentially. */
function isCatastrophic(source: string): boolean {
  const stripped = source.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x');
  const stack: boolean[] = [];
  let quantifiedInside = false;
  for (let i = 0; i < stripped.length; i++) {
    const c = stripped[i];
    const next = stripped[i + 1];
    if (c === '(') {
      stack.push(quantifiedInside);
      quantifiedInside = false;
    } else if (c === ')') {
      const inner = quantifiedInside;
      quantifiedInside = stack.pop() ?? false;
      const quantified = next === '*' || next === '+' || next === '{' || (next === '?' && inner);
      if (quantified && inner) return true;
      if (inner || quantified) quantifiedInside = true;
    } else if (c === '*' || c === '+' || c === '{') {
      quantifiedInside = true;
    }
  }
  return /\\[1-9]/.test(source) && /\\[1-9][*+{]/.test(source);
}

/**
 * Compiles a Java regular expression; throws `PqlCompileError` (`invalid_regex`, `unsafe_regex`).
 *
 * @example
 *   compileJavaRegex('(a+)+$').linear;  // true when the linear engine is available
 *   compileJavaRegex('(a+)+\\1');       // throws unsafe_regex (needs backtracking, nested quantifiers)
 */
export function compileJavaRegex(pattern: string): SafeRegex {
  const { source, flags } = translate(pattern);
  if (LINEAR_ENGINE) {
    try {
      return { regex: new RegExp(source, `${flags}l`), linear: true };
    } catch {
      // Back-references and look-arounds need the backtracking engine: fall through to the guard.
    }
  }
  if (isCatastrophic(source)) throw new PqlCompileError('unsafe_regex', `the regular expression ${JSON.stringify(pattern)} nests quantifiers and could take exponential time`);
  try {
    return { regex: new RegExp(source, flags), linear: false };
  } catch (error) {
    throw new PqlCompileError('invalid_regex', `invalid regular expression ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const CACHE_LIMIT = 1000;
let dynamicCache = new Map<string, SafeRegex | null>();

/**
 * A regex for a pattern that arrived as data: compiled once per distinct pattern, or null when it
 * is invalid or unsafe (the test is then false).
 *
 * @example
 *   dynamicRegex('(');  // null
 */
export function dynamicRegex(pattern: string): SafeRegex | null {
  const hit = dynamicCache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: SafeRegex | null;
  try {
    compiled = pattern.length > 2000 ? null : compileJavaRegex(pattern);
  } catch {
    compiled = null;
  }
  if (dynamicCache.size >= CACHE_LIMIT) dynamicCache = new Map();
  dynamicCache.set(pattern, compiled);
  return compiled;
}
