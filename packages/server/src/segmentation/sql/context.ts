/**
 * The state one compilation threads through the walkers: the evaluation instant, the implicit
 * scopes (`[...]`, element arguments, chain steps) and named variables in force, the query
 * parameters collected so far, and which inputs (events, memberships) the query reads.
 *
 * @example
 *   const ctx = rootContext(Date.parse('2025-06-18T15:00:00Z'), compileExpr);
 *   ctx.state.param(1750258800000);  // '$t0'
 */
import type { Expr } from '../pql/ast.ts';
import type { InputFields } from './input-fields.ts';
import type { SqlValue } from './values.ts';

/** Column expressions of the three inputs inside a compiled query. */
export const ROOTS = {
  profile: 'p.attributes',
  events: 'coalesce(ev.events, [])',
  segments: 'coalesce(sm.segments, []::VARCHAR[])',
} as const;

export class CompileState {
  readonly params: Record<string, number> = {};
  /** The fields a job extracted from its events and profiles (input-fields.ts); else the documents are read. */
  fields: InputFields | undefined;
  readsEvents = false;
  readsSegments = false;
  private nextParam = 0;
  private nextName = 0;

  /** A BIGINT query parameter holding an epoch-ms time or other computed number. */
  param(value: number): string {
    const name = `t${this.nextParam++}`;
    this.params[name] = value;
    return `$${name}::BIGINT`;
  }

  /** A lambda parameter name no user text can collide with. */
  fresh(prefix: string): string {
    return `pql_${prefix}${this.nextName++}`;
  }
}

export interface CompileContext {
  /** The evaluation instant, epoch ms. */
  now: number;
  /** Implicit scopes, innermost last (scopeReference(0) is the last). */
  scopes: readonly SqlValue[];
  vars: ReadonlyMap<string, SqlValue>;
  state: CompileState;
  compile: (node: Expr, ctx: CompileContext) => SqlValue;
}

export function rootContext(now: number, compile: CompileContext['compile'], fields?: InputFields): CompileContext {
  const state = new CompileState();
  state.fields = fields;
  return { now, scopes: [], vars: new Map(), state, compile };
}

/** The context inside a lambda over a list: the element becomes the innermost implicit scope. */
export function withElement(ctx: CompileContext, element: SqlValue): CompileContext {
  return { ...ctx, scopes: [...ctx.scopes, element] };
}

export function withVariable(ctx: CompileContext, name: string, value: SqlValue): CompileContext {
  const vars = new Map(ctx.vars);
  vars.set(name, value);
  return { ...ctx, vars };
}

/** The element value a lambda parameter stands for, given the list kind it ranges over. */
export function elementOf(listKind: 'list' | 'events', name: string): SqlValue {
  return listKind === 'events' ? { kind: 'event', sql: name } : { kind: 'json', sql: name };
}
