/**
 * Arrays, sets, aggregations and maps: `in`/`notIn`, `intersects`, `intersection`, `subsetOf`,
 * `supersetOf`, `includes`, `distinct`, `head`, filters (`arr[...]` and `filter`), `map`,
 * `groupBy`, `topN`/`bottomN`, `exists`, `count`, `sum`, `average`, `min`, `max`, `get`, `keys`,
 * `values`, `mapEntry`. Element arguments run with the element as the innermost scope. A null
 * collection is empty; a single non-array value is a one-element array (docs/pql.md).
 *
 * @example
 *   // orders.filter(price >= 40).count()
 *   compileCollectionCall('count', [filterNode], env, compiler);
 */
import type { Expr, Lambda } from '../pql/ast.ts';
import { bindVariable, pushScope, type CompileEnv, type Compiler, type Evaluator, type Frame } from './frame.ts';
import { containsValue, elementsOf, holds, isPlainObject, MapEntry, numberResult, pqlCompare, setOwn, type PqlObject, type PqlValue } from './values.ts';

export const COLLECTION_FUNCTIONS = new Set([
  'in', 'notIn', 'intersects', 'intersection', 'subsetOf', 'supersetOf', 'includes', 'distinct', 'head', 'filter', 'map', 'groupBy', 'topN', 'bottomN', 'exists',
  'count', 'sum', 'average', 'min', 'max', 'get', 'keys', 'values', 'mapEntry',
]);

/** Runs `condition` once per element (as scope `depth`) and keeps the elements where it is `true`. */
export function filterElements(f: Frame, items: readonly PqlValue[], depth: number, condition: Evaluator): PqlValue[] {
  const out: PqlValue[] = [];
  for (let i = 0; i < items.length; i++) {
    f.scope[depth] = items[i];
    if (holds(condition(f))) out.push(items[i]);
  }
  return out;
}

/** Compiles `array[condition]`. */
export function compileFilter(arrayNode: Expr, conditionNode: Expr, env: CompileEnv, compiler: Compiler): Evaluator {
  const array = compiler.compile(arrayNode, env);
  const inner = pushScope(env);
  compiler.noteDepth(inner.depth);
  const condition = compiler.compile(conditionNode, inner);
  const depth = env.depth;
  return (f) => filterElements(f, elementsOf(array(f)), depth, condition);
}

/** `null` collection → nothing; a one-element view of a single value otherwise. */
const asList = elementsOf;

function distinct(items: readonly PqlValue[]): PqlValue[] {
  const out: PqlValue[] = [];
  for (const item of items) if (item === null ? !out.includes(null) : !containsValue(out, item)) out.push(item);
  return out;
}

/** An element argument: compiled in a new scope, or, for a lambda, with its parameters bound to slots. */
interface ElementFn {
  run: (f: Frame, element: PqlValue, keyOrIndex: PqlValue) => PqlValue;
  /** The argument is a two-parameter lambda `(K, G) => ...` (over a map's entries). */
  entries: boolean;
}

function compileElementFn(node: Expr, env: CompileEnv, compiler: Compiler): ElementFn {
  if (node.nodeType === 'lambda') return compileLambda(node, env, compiler);
  const inner = pushScope(env);
  compiler.noteDepth(inner.depth);
  const body = compiler.compile(node, inner);
  const depth = env.depth;
  return {
    entries: false,
    run: (f, element) => {
      f.scope[depth] = element;
      return body(f);
    },
  };
}

function compileLambda(node: Lambda, env: CompileEnv, compiler: Compiler): ElementFn {
  let inner = env;
  const slots = node.params.map((name) => {
    const slot = compiler.slot();
    inner = bindVariable(inner, name, slot);
    return slot;
  });
  const body = compiler.compile(node.body, inner);
  const [first, second] = slots;
  if (slots.length >= 2) {
    return {
      entries: true,
      run: (f, value, key) => {
        f.vars[first] = key;
        f.vars[second] = value;
        return body(f);
      },
    };
  }
  return {
    entries: false,
    run: (f, element) => {
      if (first !== undefined) f.vars[first] = element;
      return body(f);
    },
  };
}

function numbersOf(f: Frame, items: readonly PqlValue[], fn: ElementFn | undefined): number[] {
  const out: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const v = fn ? fn.run(f, items[i], i) : items[i];
    if (typeof v === 'number') out.push(v);
  }
  return out;
}

/** Compiles a collection function application (`params` as in the AST: receiver first for methods). */
export function compileCollectionCall(name: string, params: Expr[], env: CompileEnv, compiler: Compiler): Evaluator {
  if (name === 'mapEntry') {
    const [key, value] = params.map((p) => compiler.compile(p, env));
    return (f) => {
      const k = key(f);
      return k === null ? null : new MapEntry(keyString(k), value(f));
    };
  }
  const receiver = compiler.compile(params[0], env);
  const argNode = params[1];
  const arg = (): Evaluator => compiler.compile(argNode, env);
  switch (name) {
    case 'in': case 'notIn': {
      const list = arg();
      const negate = name === 'notIn';
      return (f) => {
        const v = receiver(f);
        if (v === null) return false;
        const l = list(f);
        if (l === null) return false;
        return containsValue(asList(l), v) !== negate;
      };
    }
    case 'includes': {
      const x = arg();
      return (f) => {
        const r = receiver(f);
        return r !== null && containsValue(asList(r), x(f));
      };
    }
    case 'intersects': case 'subsetOf': case 'supersetOf': case 'intersection': {
      const other = arg();
      return (f) => {
        const a = receiver(f);
        const b = other(f);
        if (a === null || b === null) return name === 'intersection' ? null : false;
        const x = asList(a);
        const y = asList(b);
        if (name === 'intersects') return x.some((v) => containsValue(y, v));
        if (name === 'subsetOf') return x.every((v) => containsValue(y, v));
        if (name === 'supersetOf') return y.every((v) => containsValue(x, v));
        return distinct(x.filter((v) => containsValue(y, v)));
      };
    }
    case 'distinct': return (f) => {
      const r = receiver(f);
      return r === null ? null : distinct(asList(r));
    };
    case 'head': return (f) => {
      const items = asList(receiver(f));
      return items.length > 0 ? items[0] : null;
    };
    case 'count': return (f) => {
      const r = receiver(f);
      return r === null ? 0 : Array.isArray(r) ? r.length : 1;
    };
    case 'filter': return compileFilter(params[0], argNode, env, compiler);
    case 'exists': {
      const fn = compileElementFn(argNode, env, compiler);
      return (f) => {
        const items = asList(receiver(f));
        for (let i = 0; i < items.length; i++) if (holds(fn.run(f, items[i], i))) return true;
        return false;
      };
    }
    case 'sum': case 'average': case 'min': case 'max': {
      const fn = argNode ? compileElementFn(argNode, env, compiler) : undefined;
      return (f) => aggregate(name, numbersOf(f, asList(receiver(f)), fn));
    }
    case 'map': return compileMap(receiver, compileElementFn(argNode, env, compiler));
    case 'groupBy': {
      const fn = compileElementFn(argNode, env, compiler);
      return (f) => {
        const r = receiver(f);
        if (r === null) return null;
        const groups: { [key: string]: PqlValue[] } = {};
        const items = asList(r);
        for (let i = 0; i < items.length; i++) {
          const k = fn.run(f, items[i], i);
          if (k === null) continue;
          const key = keyString(k);
          const group = Object.hasOwn(groups, key) ? groups[key] : undefined;
          if (group) group.push(items[i]);
          else setOwn(groups, key, [items[i]]);
        }
        return groups;
      };
    }
    case 'topN': case 'bottomN': {
      const fn = compileElementFn(argNode, env, compiler);
      const limitNode = params[2];
      const n = limitNode?.nodeType === 'literal' && typeof limitNode.value === 'number' ? limitNode.value : 0;
      const descending = name === 'topN';
      return (f) => {
        const r = receiver(f);
        if (r === null) return null;
        const items = asList(r);
        const ranked: { item: PqlValue; value: number | string }[] = [];
        for (let i = 0; i < items.length; i++) {
          const v = fn.run(f, items[i], i);
          if (typeof v === 'number' || typeof v === 'string') ranked.push({ item: items[i], value: v });
        }
        ranked.sort((a, b) => rank(a.value, b.value) * (descending ? -1 : 1));
        return ranked.slice(0, n).map((x) => x.item);
      };
    }
    case 'get': {
      const key = arg();
      return (f) => {
        const m = receiver(f);
        const k = key(f);
        if (!isPlainObject(m) || k === null || typeof k === 'object') return null;
        const name = String(k);
        return Object.hasOwn(m, name) ? (m[name] ?? null) : null;
      };
    }
    case 'keys': return (f) => {
      const m = receiver(f);
      return isPlainObject(m) ? Object.keys(m) : null;
    };
    case 'values': return (f) => {
      const m = receiver(f);
      return isPlainObject(m) ? Object.values(m).map((v) => v ?? null) : null;
    };
  }
  throw new Error(`not a collection function: ${name}`);
}

/** Numbers before strings; numbers by value, strings by code unit. */
function rank(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return pqlCompare(a, b) ?? 0;
  return typeof a === 'number' ? -1 : 1;
}

function aggregate(name: 'sum' | 'average' | 'min' | 'max', numbers: number[]): PqlValue {
  if (name === 'sum') {
    let total = 0;
    for (const n of numbers) total += n;
    return numberResult(total);
  }
  if (numbers.length === 0) return null;
  if (name === 'min' || name === 'max') {
    let best = numbers[0];
    for (const n of numbers) if (name === 'min' ? n < best : n > best) best = n;
    return best;
  }
  let total = 0;
  for (const n of numbers) total += n;
  return numberResult(total / numbers.length);
}

/** A map key as a string (`groupBy(price)` keys are `"30"`, `"50"`...). */
export function keyString(k: PqlValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'boolean') return String(k);
  return JSON.stringify(k);
}

/**
 * `map(expr)` on an array keeps a value per element (nulls included); `map((K, G) => mapEntry(K, v))`
 * on a map (a `groupBy` result or any object) builds a map from the entries.
 */
function compileMap(receiver: Evaluator, fn: ElementFn): Evaluator {
  return (f) => {
    const r = receiver(f);
    if (r === null) return null;
    if (fn.entries && isPlainObject(r)) return mapEntries(f, r, fn);
    const items = asList(r);
    const out: PqlValue[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = fn.run(f, items[i], i);
    return out;
  };
}

function mapEntries(f: Frame, m: PqlObject, fn: ElementFn): PqlValue {
  const results: PqlValue[] = [];
  for (const key of Object.keys(m)) results.push(fn.run(f, m[key] ?? null, key));
  if (!results.every((v) => v instanceof MapEntry)) return results;
  const out: PqlObject = {};
  for (const entry of results as MapEntry[]) setOwn(out, entry.key, entry.value);
  return out;
}

