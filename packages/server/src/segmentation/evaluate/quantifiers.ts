/**
 * Bindings and quantifiers: `exists`/`forall`/`select` with one or several generators (each
 * seeing the earlier variables), `let`, and the legacy `sum X.f over X from ... where ...`.
 * `exists` over nothing is false, `forall` over nothing is true; with several generators,
 * `forall E ..., I ...` means every E meets its condition and every I of it its own.
 *
 * @example
 *   // exists E from xEvent where E.x > 50, I from E.productListItems where I.SKU = "PS"
 *   compileQuantifier(node, env, compiler);
 */
import type { AggregateOver, Let, Quantifier } from '../pql/ast.ts';
import { bindVariable, type CompileEnv, type Compiler, type Evaluator, type Frame } from './frame.ts';
import { elementsOf, holds, numberResult, type PqlValue } from './values.ts';

interface CompiledGenerator {
  source: Evaluator;
  slot: number;
  condition: Evaluator | undefined;
}

function compileGenerators(node: Quantifier, env: CompileEnv, compiler: Compiler): CompiledGenerator[] {
  let inner = env;
  return node.generators.map((g) => {
    const source = compiler.compile(g.source, inner);
    const slot = compiler.slot();
    inner = bindVariable(inner, g.variable, slot);
    return { source, slot, condition: g.condition ? compiler.compile(g.condition, inner) : undefined };
  });
}

/** Compiles `exists`, `forall` or `select`. */
export function compileQuantifier(node: Quantifier, env: CompileEnv, compiler: Compiler): Evaluator {
  const generators = compileGenerators(node, env, compiler);
  const universal = node.quantifier === 'forall';
  const search = (f: Frame, level: number): boolean => {
    const g = generators[level];
    const items = elementsOf(g.source(f));
    const last = level === generators.length - 1;
    for (let i = 0; i < items.length; i++) {
      f.vars[g.slot] = items[i];
      const meets = g.condition === undefined || holds(g.condition(f));
      if (universal) {
        if (!meets) return false;
        if (!last && !search(f, level + 1)) return false;
      } else if (meets && (last || search(f, level + 1))) {
        return true;
      }
    }
    return universal;
  };
  return (f) => search(f, 0);
}

/** Compiles `let S = (value) in (body)`. */
export function compileLet(node: Let, env: CompileEnv, compiler: Compiler): Evaluator {
  const value = compiler.compile(node.value, env);
  const slot = compiler.slot();
  const body = compiler.compile(node.body, bindVariable(env, node.variable, slot));
  return (f) => {
    f.vars[slot] = value(f);
    return body(f);
  };
}

/** Compiles `sum|count|average|min|max <value> over X from <source> [where <condition>]`. */
export function compileAggregateOver(node: AggregateOver, env: CompileEnv, compiler: Compiler): Evaluator {
  const source = compiler.compile(node.source, env);
  const slot = compiler.slot();
  const inner = bindVariable(env, node.variable, slot);
  const value = compiler.compile(node.value, inner);
  const condition = node.condition ? compiler.compile(node.condition, inner) : undefined;
  const aggregate = node.aggregate;
  return (f) => {
    const items = elementsOf(source(f));
    let count = 0;
    let numbers = 0;
    let total = 0;
    let best: number | null = null;
    for (let i = 0; i < items.length; i++) {
      f.vars[slot] = items[i];
      if (condition !== undefined && !holds(condition(f))) continue;
      const v: PqlValue = value(f);
      if (v === null) continue;
      count++;
      if (typeof v !== 'number') continue;
      numbers++;
      total += v;
      if (best === null || (aggregate === 'min' ? v < best : v > best)) best = v;
    }
    switch (aggregate) {
      case 'count': return count;
      case 'sum': return numberResult(total);
      case 'average': return numbers === 0 ? null : numberResult(total / numbers);
      default: return best;
    }
  };
}
