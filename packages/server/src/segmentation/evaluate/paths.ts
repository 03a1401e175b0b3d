/**
 * Field paths: `a.b.c` over the profile, an event, a scope element (`^.x`) or a bound variable,
 * compiled once into an array of keys read in a loop. A path through an array projects: each
 * element's field, in order, nulls dropped, nested arrays flattened one level. A missing field,
 * an explicit null, or a field of a non-object is null; inherited properties (`constructor`,
 * `__proto__`) are never fields.
 *
 * @example
 *   readPath({ a: [{ b: 1 }, { b: [2, 3] }, {}] }, ['a', 'b']);  // [1, 2, 3]
 */
import { isEventsReference, type Expr } from '../pql/ast.ts';
import type { CompileEnv, Compiler, Evaluator } from './frame.ts';
import { MapEntry, TimeValue, type PqlValue } from './values.ts';

/** Field names that the engine's own value classes (time values, map entries) carry. */
const CLASS_FIELDS = new Set(['start', 'end', 'instant', 'key', 'value']);

/** `readField` for a key no engine class has: skips the class checks on the hot path. */
function readPlainField(value: PqlValue, key: string): PqlValue {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) return project(value, key);
  const v = (value as { [key: string]: PqlValue | undefined })[key];
  return v === undefined || typeof v === 'function' ? null : v;
}

/** One field of a value; arrays project. */
export function readField(value: PqlValue, key: string): PqlValue {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) return project(value, key);
  // Time values and map entries have no PQL fields.
  if (value instanceof TimeValue || value instanceof MapEntry) return null;
  const record = value as { [key: string]: PqlValue | undefined };
  if (key === '__proto__') return Object.hasOwn(record, key) ? (record[key] ?? null) : null;
  const v = record[key];
  return v === undefined || typeof v === 'function' ? null : v;
}

function project(items: readonly PqlValue[], key: string): PqlValue[] {
  const out: PqlValue[] = [];
  for (const item of items) {
    const v = readField(item, key);
    if (v === null) continue;
    if (Array.isArray(v)) for (const x of v) out.push(x);
    else out.push(v);
  }
  return out;
}

/**
 * Follows `keys` from `value`.
 *
 * @example
 *   readPath({ person: { name: 'Ann' } }, ['person', 'name']);  // 'Ann'
 */
export function readPath(value: PqlValue, keys: readonly string[]): PqlValue {
  let current = value;
  for (let i = 0; i < keys.length; i++) {
    if (current === null) return null;
    current = readField(current, keys[i]);
  }
  return current;
}

/** Splits `a.b.c` on its base (the innermost non-fieldLookup node, or `xEvent`) and the keys after it. */
function splitPath(node: Expr): { base: Expr; keys: string[] } {
  const keys: string[] = [];
  let current = node;
  while (current.nodeType === 'fieldLookup' && !isEventsReference(current)) {
    keys.push(current.fieldName);
    current = current.object;
  }
  return { base: current, keys: keys.reverse() };
}

/**
 * Compiles a `fieldLookup` chain: the base is compiled once (profile, events, scope element,
 * variable or any expression), then the keys are read in a loop.
 */
export function compilePath(node: Expr, env: CompileEnv, compiler: Compiler): Evaluator {
  const { base, keys } = splitPath(node);
  const from = compileBase(base, env, compiler);
  if (keys.length === 0) return from;
  const fast = keys.every((k) => k !== '__proto__' && !CLASS_FIELDS.has(k));
  const read = fast ? readPlainField : readField;
  if (keys.length === 1) {
    const [key] = keys;
    return (f) => read(from(f), key);
  }
  if (keys.length === 2) {
    const [k1, k2] = keys;
    return (f) => {
      const v = read(from(f), k1);
      return v === null ? null : read(v, k2);
    };
  }
  if (!fast) return (f) => readPath(from(f), keys);
  return (f) => {
    let current = from(f);
    for (let i = 0; i < keys.length && current !== null; i++) current = readPlainField(current, keys[i]);
    return current;
  };
}

function compileBase(base: Expr, env: CompileEnv, compiler: Compiler): Evaluator {
  if (isEventsReference(base)) return (f) => f.events;
  if (base.nodeType === 'parameterReference') return base.position === 1 ? (f) => f.profile : () => null;
  if (base.nodeType === 'scopeReference') {
    const index = env.depth - 1 - base.up;
    return index < 0 ? (f) => f.profile : (f) => f.scope[index];
  }
  return compiler.compile(base, env);
}
