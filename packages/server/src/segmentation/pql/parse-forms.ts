/**
 * The keyword forms of PQL and the bracketed literals: `chain(...)` with its `WHAT/WHERE/WHEN/COUNT`
 * steps (keywords in any case), `exists`/`forall` with comma-separated generators, `select`,
 * `let ... in ...`, the legacy `sum X.f over X from ... where ...`, `date(y, m, d)`, array and
 * object literals. Each function is called with the cursor on the form's first token.
 *
 * @example
 *   // chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5)])
 *   // → { nodeType: 'chain', events: xEvent, orderBy: timestamp, steps: [{ label: 'A', what, when, count: 5 }] }
 */
import { OVER_AGGREGATES, type AggregateOver, type ChainStep, type Expr, type Generator, type OverAggregate } from './ast.ts';
import type { Token } from './lexer.ts';
import { parseTimeConstraint } from './parse-time.ts';
import type { Parser } from './parser.ts';
import { daysInMonth } from './time.ts';

// ---------------------------------------------------------------------------------------------
// Literals

export function parseArrayLiteral(p: Parser): Expr {
  const start = p.expectSymbol('[');
  const items = p.parseList(']', () => p.parseExpression());
  return { nodeType: 'arrayLiteral', items, span: p.spanFrom(start) };
}

export function parseObjectLiteral(p: Parser): Expr {
  const start = p.expectSymbol('{');
  const names = new Set<string>();
  const fields = p.parseList('}', () => {
    const keyToken = p.peek();
    if (keyToken.kind !== 'string' && keyToken.kind !== 'identifier') p.fail(['a field name']);
    p.next();
    const name = String(keyToken.value);
    if (names.has(name)) p.report(keyToken, `field "${name}" appears twice`);
    names.add(name);
    p.expectSymbol(':');
    return { name, value: p.parseExpression() };
  });
  return { nodeType: 'objectLiteral', fields, span: p.spanFrom(start) };
}

const DATE_PARTS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;
const DATE_LIMITS: Record<(typeof DATE_PARTS)[number], [number, number]> = { year: [1, 9999], month: [1, 12], day: [1, 31], hour: [0, 23], minute: [0, 59], second: [0, 59] };

/** `date(2020, 3, 14)` → Date literal; `date(2020, 3, 14, 9, 30, 0)` → DateTime literal (UTC). */
export function parseDateLiteral(p: Parser): Expr {
  const start = p.next();
  p.expectSymbol('(');
  const tokens: Token[] = [];
  const errorsBefore = p.errors.length;
  p.parseList(')', () => {
    const t = p.peek();
    if (t.kind !== 'integer') p.fail(['a whole number']);
    tokens.push(p.next());
  });
  const span = p.spanFrom(start);
  const values = tokens.map((t) => Number(t.value));
  if (values.length !== 3 && values.length !== 6) {
    const alreadyReported = p.errors.length > errorsBefore;
    if (!alreadyReported) p.reportSpan(span, start, `date takes year, month and day (and optionally hour, minute and second) but got ${values.length} numbers`);
    return { nodeType: 'literal', literalType: 'Date', value: '1970-01-01', span };
  }
  values.forEach((v, i) => {
    const part = DATE_PARTS[i];
    const [min, max] = DATE_LIMITS[part];
    const limit = part === 'day' && values[1] >= 1 && values[1] <= 12 ? daysInMonth(values[0], values[1]) : max;
    if (v < min || v > limit) p.report(tokens[i], `${part} ${v} is out of range (${min} to ${limit})`);
  });
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${pad(values[0], 4)}-${pad(values[1])}-${pad(values[2])}`;
  if (values.length === 3) return { nodeType: 'literal', literalType: 'Date', value: day, span };
  return { nodeType: 'literal', literalType: 'DateTime', value: `${day}T${pad(values[3])}:${pad(values[4])}:${pad(values[5])}Z`, span };
}


// ---------------------------------------------------------------------------------------------
// chain

/** `chain(events, orderBy, [LABEL: WHAT(...) WHERE(...) WHEN(...) COUNT(n), ...])`. */
export function parseChain(p: Parser): Expr {
  const start = p.next();
  p.expectSymbol('(');
  const events = p.parseExpression();
  p.expectSymbol(',');
  const orderBy = p.withImplicitScope(() => p.parseExpression());
  p.expectSymbol(',');
  const listStart = p.expectSymbol('[');
  const labels = new Set<string>();
  const errorsBefore = p.errors.length;
  const steps = p.parseList(']', () => parseChainStep(p, labels));
  if (steps.length === 0 && p.errors.length === errorsBefore) p.report(listStart, 'a chain needs at least one step, as in [A: WHAT(eventType = "x")]');
  p.expectSymbol(')');
  return { nodeType: 'chain', events, orderBy, steps, span: p.spanFrom(start) };
}

const CLAUSES = ['WHAT', 'WHERE', 'WHEN', 'COUNT'] as const;

function parseChainStep(p: Parser, labels: Set<string>): ChainStep {
  const start = p.peek();
  const label = p.expectName('a step label (as in A:)');
  if (labels.has(label)) p.report(start, `step label "${label}" is used twice in this chain`);
  labels.add(label);
  p.expectSymbol(':');
  const step: Partial<ChainStep> & { label: string } = { label };
  const seen = new Set<string>();
  for (;;) {
    const clauseToken = p.peek();
    const clause = CLAUSES.find((c) => p.atWord(c, 0, true));
    if (!clause) break;
    if (seen.has(clause)) p.report(clauseToken, `${clause} appears twice in step "${label}"`);
    seen.add(clause);
    p.next();
    p.expectSymbol('(');
    if (clause === 'WHAT') step.what = p.withImplicitScope(() => p.parseExpression());
    else if (clause === 'WHERE') step.where = p.withImplicitScope(() => p.parseExpression());
    else if (clause === 'WHEN') step.when = p.withImplicitScope(() => parseTimeConstraint(p));
    else step.count = parseCount(p);
    p.expectSymbol(')');
  }
  if (seen.size === 0) p.fail(['WHAT(...)']);
  const span = p.spanFrom(start);
  if (!step.what) {
    p.reportSpan(span, start, `step "${label}" needs WHAT(...)`);
    step.what = { nodeType: 'literal', literalType: 'Boolean', value: true };
  }
  const out: ChainStep = { label, what: step.what, span };
  if (step.where) out.where = step.where;
  if (step.when) out.when = step.when;
  if (step.count !== undefined) out.count = step.count;
  return out;
}

function parseCount(p: Parser): number {
  const t = p.peek();
  if (t.kind !== 'integer') p.fail(['a whole number of occurrences']);
  p.next();
  const n = Number(t.value);
  if (n < 1) p.report(t, 'COUNT must be at least 1');
  return n;
}

// ---------------------------------------------------------------------------------------------
// exists / forall / select

/** `exists V from src [where|: cond] (, V2 from src2 [where cond])*`, `forall ...`, `select V from src [where cond]`. */
export function parseQuantifier(p: Parser): Expr {
  const start = p.next();
  const quantifier = String(start.value) as 'exists' | 'forall' | 'select';
  const generators: Generator[] = [];
  const parseGenerator = (): void => {
    const generatorStart = p.peek();
    const variable = p.expectVariableName();
    p.expectWord('from');
    const source = p.parseAdditive();
    p.withVariables([variable], () => {
      const generator: Generator = { variable, source };
      if (p.atWord('where') || p.atSymbol(':')) {
        p.next();
        generator.condition = p.parseExpression();
      }
      generator.span = p.spanFrom(generatorStart);
      generators.push(generator);
      const another = p.atSymbol(',') && p.peek(1).kind === 'identifier' && p.atWord('from', 2);
      if (quantifier !== 'select' && another) {
        p.next();
        p.nested(parseGenerator);
      }
    });
  };
  parseGenerator();
  return { nodeType: 'quantifier', quantifier, generators, span: p.spanFrom(start) };
}

// ---------------------------------------------------------------------------------------------
// let

/** `let S = (value) in (body)`. */
export function parseLet(p: Parser): Expr {
  const start = p.next();
  const variable = p.expectVariableName();
  p.expectSymbol('=');
  const value = p.withNoIn(true, () => p.parseExpression());
  p.expectWord('in');
  const body = p.withVariables([variable], () => p.parseExpression());
  return { nodeType: 'let', variable, value, body, span: p.spanFrom(start) };
}

// ---------------------------------------------------------------------------------------------
// sum X.f over X from source where condition

const LOOK_AHEAD_LIMIT = 4000;

/** Is the cursor on `sum|count|average|min|max <value> over V from ...`? */
export function isAggregateOverAhead(p: Parser): boolean {
  const t = p.peek();
  if (t.kind !== 'identifier' || !(OVER_AGGREGATES as readonly string[]).includes(String(t.value))) return false;
  const next = p.peek(1);
  const startsValue = next.kind === 'identifier' || next.kind === 'quotedIdentifier' || next.kind === 'parameter' || (next.kind === 'symbol' && (next.value === '(' || next.value === '^'));
  return startsValue && findOverVariable(p) !== undefined;
}

/** Scans ahead (same bracket depth, bounded) for `over NAME from` and returns NAME. */
function findOverVariable(p: Parser): string | undefined {
  let depth = 0;
  for (let i = p.position + 1, n = 0; n < LOOK_AHEAD_LIMIT; i++, n++) {
    const t = p.tokenAt(i);
    if (t.kind === 'end') return undefined;
    if (t.kind === 'symbol') {
      if (t.value === '(' || t.value === '[' || t.value === '{') depth++;
      else if (t.value === ')' || t.value === ']' || t.value === '}') {
        if (depth === 0) return undefined;
        depth--;
      } else if (t.value === ',' && depth === 0) return undefined;
      continue;
    }
    if (depth === 0 && t.kind === 'identifier' && t.value === 'over') {
      const name = p.tokenAt(i + 1);
      const from = p.tokenAt(i + 2);
      return name.kind === 'identifier' && from.kind === 'identifier' && from.value === 'from' ? String(name.value) : undefined;
    }
  }
  return undefined;
}

export function parseAggregateOver(p: Parser): Expr {
  const variable = findOverVariable(p) ?? '';
  const start = p.next();
  const aggregate = String(start.value) as OverAggregate;
  const value = p.withVariables([variable], () => p.parseAdditive());
  p.expectWord('over');
  p.expectVariableName();
  p.expectWord('from');
  const source = p.parseAdditive();
  const node: AggregateOver = { nodeType: 'aggregateOver', aggregate, value, variable, source };
  if (p.atWord('where') || p.atSymbol(':')) {
    p.next();
    node.condition = p.withVariables([variable], () => p.parseExpression());
  }
  node.span = p.spanFrom(start);
  return node;
}
