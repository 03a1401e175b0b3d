/**
 * The PQL parser: hand-written recursive descent with one function per precedence level,
 * never backtracking further than a bounded look-ahead. This module owns the entry points,
 * operators, primaries, `^` and lambdas; the cursor, error recovery and scopes are in
 * `parser-base.ts`, calls in `parse-calls.ts`, keyword forms in `parse-forms.ts`, time syntax
 * in `parse-time.ts`.
 *
 * Precedence, loosest first: `or` < `and` < `not`/`!` < comparison (`= != < <= > >= in notIn like
 * occurs`, not chainable) < `+ -` < `* / %` < unary `-` < postfix (`.field`, `.method()`, `[filter]`).
 * Prefix forms (`exists`, `forall`, `select`, `let`, `sum ... over`, lambdas) extend as far right
 * as they can.
 *
 * @example
 *   const result = parse('homeAddress.countryCode = "US" and person.birthYear > 1980');
 *   if (result.ok) result.ast.nodeType;  // 'fnApply'
 *   else result.errors.map((e) => e.message);
 */
import { childExpressions, type Expr, type Span } from './ast.ts';
import { PqlParseError, positionAt, syntaxError, type PqlSyntaxError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';
import { Abort, ParserBase } from './parser-base.ts';
import { isAggregateOverAhead, parseAggregateOver, parseArrayLiteral, parseChain, parseDateLiteral, parseLet, parseObjectLiteral, parseQuantifier } from './parse-forms.ts';
import { parseCall } from './parse-calls.ts';
import { parseTimeConstraint } from './parse-time.ts';

export interface ParseOptions {
  /** Deepest syntactic nesting accepted (parentheses, calls, filters...); default 200. */
  maxNesting?: number;
}

export type ParseResult = { ok: true; ast: Expr; errors: [] } | { ok: false; errors: PqlSyntaxError[] };

const DEFAULT_MAX_NESTING = 200;
const COMPARISON_SYMBOLS = new Set(['=', '!=', '<', '<=', '>', '>=']);
/** Deepest AST accepted: long left-leaning chains (`a + a + ...`) are bounded too, so walkers never overflow the stack. */
const MAX_TREE_DEPTH = 1000;

/**
 * Parses PQL text. Never throws: a malformed input yields `ok: false` with every error found.
 *
 * @example
 *   parse('person.name.startsWith("Joe")').ok;  // true
 *   parse('a = ').errors;                       // [{ message: 'line 1, column 5: expected an expression but found end of input', ... }]
 */
export function parse(text: string, options: ParseOptions = {}): ParseResult {
  let errors: PqlSyntaxError[];
  let ast: Expr | undefined;
  try {
    const lexed = tokenize(text);
    const parser = new Parser(text, lexed.tokens, options.maxNesting ?? DEFAULT_MAX_NESTING);
    parser.errors.push(...lexed.errors);
    ast = parser.parseQuery();
    errors = parser.errors;
    if (ast && errors.length === 0) {
      const tooDeep = deepestBeyond(ast, MAX_TREE_DEPTH);
      if (tooDeep) errors = [errorAtSpan(text, tooDeep.span, `expression is nested too deeply (more than ${MAX_TREE_DEPTH} levels)`)];
    }
  } catch (error) {
    // Defensive: the parser is designed not to throw; if it ever does, report instead of crashing the caller.
    const detail = error instanceof RangeError ? 'expression is too complex to parse' : `internal parser error: ${String(error)}`;
    errors = [errorAtSpan(text, undefined, detail)];
  }
  if (errors.length > 0 || !ast) return { ok: false, errors: dedupe(errors) };
  return { ok: true, ast, errors: [] };
}

/**
 * Parses PQL text or throws `PqlParseError` listing every error.
 *
 * @example
 *   const ast = parseOrThrow('inSegment("e3be6d7f") and inSegment("9e1646bb")');
 */
export function parseOrThrow(text: string, options?: ParseOptions): Expr {
  const result = parse(text, options);
  if (!result.ok) throw new PqlParseError(result.errors);
  return result.ast;
}

function dedupe(errors: PqlSyntaxError[]): PqlSyntaxError[] {
  const seen = new Set<number>();
  return [...errors].sort((a, b) => a.offset - b.offset).filter((e) => !seen.has(e.offset) && (seen.add(e.offset), true));
}

function errorAtSpan(text: string, span: Span | undefined, detail: string): PqlSyntaxError {
  const offset = span?.start ?? 0;
  const { line, column } = positionAt(text, offset);
  return syntaxError({ offset, end: span?.end ?? text.length, line, column }, 'the expression', [], detail);
}

function deepestBeyond(root: Expr, limit: number): Expr | undefined {
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) return node;
    for (const child of childExpressions(node)) stack.push([child, depth + 1]);
  }
  return undefined;
}

export class Parser extends ParserBase {
  // -------------------------------------------------------------------------------------------
  // Entry

  parseQuery(): Expr | undefined {
    try {
      let ast: Expr;
      if (this.isLambdaAhead()) {
        const start = this.peek();
        const params = this.parseLambdaParams();
        const body = this.withScope({ kind: 'parameters', names: params }, () => this.parseExpression());
        ast = { nodeType: 'lambda', params, body, span: this.spanFrom(start) };
      } else {
        ast = this.parseExpression();
      }
      const trailing = this.peek();
      const isComparison = (trailing.kind === 'symbol' && COMPARISON_SYMBOLS.has(String(trailing.value))) || ['in', 'notIn', 'like', 'occurs'].some((w) => this.atWord(w));
      if (isComparison) this.failWith(trailing, `comparisons cannot be chained: join them with "and", or add parentheses (found ${this.describe(trailing)})`);
      if (trailing.kind !== 'end') this.fail(['end of input', 'an operator']);
      return ast;
    } catch (error) {
      if (error instanceof Abort) return undefined;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Precedence levels

  parseExpression(): Expr {
    this.enter();
    try {
      return this.parseOr();
    } finally {
      this.nesting--;
    }
  }

  private parseOr(): Expr {
    const start = this.peek();
    let left = this.parseAnd();
    while (this.atWord('or')) {
      this.next();
      const right = this.parseAnd();
      left = { nodeType: 'fnApply', fnName: 'or', params: [left, right], span: this.spanFrom(start) };
    }
    return left;
  }

  private parseAnd(): Expr {
    const start = this.peek();
    let left = this.parseNot();
    while (this.atWord('and')) {
      this.next();
      const right = this.parseNot();
      left = { nodeType: 'fnApply', fnName: 'and', params: [left, right], span: this.spanFrom(start) };
    }
    return left;
  }

  private parseNot(): Expr {
    const start = this.peek();
    if (this.atWord('not') || this.atSymbol('!')) {
      this.next();
      this.enter();
      try {
        const operand = this.parseNot();
        return { nodeType: 'fnApply', fnName: 'not', params: [operand], span: this.spanFrom(start) };
      } finally {
        this.nesting--;
      }
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    const start = this.peek();
    const left = this.parseAdditive();
    const t = this.peek();
    let fnName: string | undefined;
    if (t.kind === 'symbol' && COMPARISON_SYMBOLS.has(String(t.value))) fnName = String(t.value);
    else if (this.atWord('in') && !this.noIn) fnName = 'in';
    else if (this.atWord('notIn')) fnName = 'notIn';
    else if (this.atWord('like')) fnName = 'like';
    else if (this.atWord('occurs')) {
      this.next();
      const constraint = parseTimeConstraint(this);
      return { nodeType: 'occurs', timestamp: left, constraint, span: this.spanFrom(start) };
    }
    if (!fnName) return left;
    this.next();
    const right = this.parseAdditive();
    return { nodeType: 'fnApply', fnName, params: [left, right], span: this.spanFrom(start) };
  }

  /** Additive level and tighter: what `in`'s right side, `occurs` times and generator sources use. */
  parseAdditive(): Expr {
    const start = this.peek();
    let left = this.parseMultiplicative();
    while (this.atSymbol('+') || this.atSymbol('-')) {
      const op = String(this.next().value);
      const right = this.parseMultiplicative();
      left = { nodeType: 'fnApply', fnName: op, params: [left, right], span: this.spanFrom(start) };
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    const start = this.peek();
    let left = this.parseUnary();
    while (this.atSymbol('*') || this.atSymbol('/') || this.atSymbol('%')) {
      const op = String(this.next().value);
      const right = this.parseUnary();
      left = { nodeType: 'fnApply', fnName: op, params: [left, right], span: this.spanFrom(start) };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (!this.atSymbol('-')) return this.parsePostfix();
    const start = this.next();
    const numberToken = this.peek();
    this.enter();
    try {
      const operand = this.parseUnary();
      const span = this.spanFrom(start);
      const isBareNumber = operand.nodeType === 'literal' && (numberToken.kind === 'integer' || numberToken.kind === 'double') && operand.span?.end === numberToken.end;
      if (isBareNumber && (operand.literalType === 'Integer' || operand.literalType === 'Double')) {
        return { nodeType: 'literal', literalType: operand.literalType, value: operand.value === 0 ? 0 : -operand.value, span };
      }
      return { nodeType: 'fnApply', fnName: 'negate', params: [operand], span };
    } finally {
      this.nesting--;
    }
  }

  private parsePostfix(): Expr {
    const start = this.peek();
    let node = this.parsePrimary();
    for (;;) {
      if (this.atSymbol('.')) {
        this.next();
        const nameToken = this.peek();
        if (nameToken.kind !== 'identifier' && nameToken.kind !== 'quotedIdentifier') this.fail(['a field or method name']);
        this.next();
        const name = String(nameToken.value);
        if (nameToken.kind === 'identifier' && this.atSymbol('(')) {
          node = parseCall(this, name, nameToken, node, start);
        } else {
          node = { nodeType: 'fieldLookup', fieldName: name, object: node, span: this.spanFrom(start) };
        }
      } else if (this.atSymbol('[')) {
        this.next();
        this.enter();
        try {
          const condition = this.withImplicitScope(() => this.parseExpression());
          this.expectSymbol(']');
          node = { nodeType: 'filter', array: node, condition, span: this.spanFrom(start) };
        } finally {
          this.nesting--;
        }
      } else {
        return node;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Primaries

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'integer':
        this.next();
        return { nodeType: 'literal', literalType: 'Integer', value: Number(t.value), span: this.spanFrom(t) };
      case 'double':
        this.next();
        return { nodeType: 'literal', literalType: 'Double', value: Number(t.value), span: this.spanFrom(t) };
      case 'string':
        this.next();
        return { nodeType: 'literal', literalType: 'String', value: String(t.value), span: this.spanFrom(t) };
      case 'parameter': {
        this.next();
        if (Number(t.value) < 1) this.report(t, 'parameters are numbered from $1');
        return { nodeType: 'parameterReference', position: Number(t.value), span: this.spanFrom(t) };
      }
      case 'quotedIdentifier':
        this.next();
        return this.resolveName(String(t.value), t, true);
      case 'identifier':
        return this.parseWord(t);
      case 'symbol':
        return this.parseBracketed(t);
      case 'end':
        return this.fail(['an expression']);
    }
  }

  private parseBracketed(t: Token): Expr {
    if (t.value === '(') {
      if (this.isLambdaAhead()) return this.parseInnerLambda();
      this.next();
      this.enter();
      try {
        const inner = this.withNoIn(false, () => this.parseExpression());
        this.expectSymbol(')');
        return inner;
      } finally {
        this.nesting--;
      }
    }
    if (t.value === '[') return this.nested(() => parseArrayLiteral(this));
    if (t.value === '{') return this.nested(() => parseObjectLiteral(this));
    if (t.value === '^') return this.parseUpReference();
    return this.fail(['an expression']);
  }

  /** Runs a nested production with the nesting guard and `in` restored as an operator. */
  nested<T>(parse: () => T): T {
    this.enter();
    try {
      return this.withNoIn(false, parse);
    } finally {
      this.nesting--;
    }
  }

  private parseWord(t: Token): Expr {
    const word = String(t.value);
    const followedByParen = this.atSymbol('(', 1);
    if (word === 'true' || word === 'false') {
      this.next();
      return { nodeType: 'literal', literalType: 'Boolean', value: word === 'true', span: this.spanFrom(t) };
    }
    if (word === 'now' || word === 'today' || word === 'yesterday' || word === 'tomorrow') {
      this.next();
      return { nodeType: 'timeAnchor', anchor: word, span: this.spanFrom(t) };
    }
    if (word === 'date' && followedByParen) return this.nested(() => parseDateLiteral(this));
    if (word.toLowerCase() === 'chain' && followedByParen) return this.nested(() => parseChain(this));
    const followedByGenerator = this.peek(1).kind === 'identifier' && this.atWord('from', 2);
    if ((word === 'exists' || word === 'forall' || word === 'select') && followedByGenerator) return this.nested(() => parseQuantifier(this));
    if (word === 'let' && this.peek(1).kind === 'identifier' && this.atSymbol('=', 2)) return this.nested(() => parseLet(this));
    if (isAggregateOverAhead(this)) return this.nested(() => parseAggregateOver(this));
    if (followedByParen) {
      this.next();
      return parseCall(this, word, t, undefined, t);
    }
    if (word === 'not') return this.fail(['an expression'], t);
    this.next();
    return this.resolveName(word, t, false);
  }

  /** `^.field`, `^^.field`, `^field`: a field of an enclosing scope's element. */
  private parseUpReference(): Expr {
    const start = this.peek();
    let up = 0;
    while (this.atSymbol('^')) {
      this.next();
      up++;
    }
    const caretSpan = this.spanFrom(start);
    if (this.atSymbol('.')) this.next();
    const nameToken = this.peek();
    if (nameToken.kind !== 'identifier' && nameToken.kind !== 'quotedIdentifier') this.fail(['a field name after "^"']);
    this.next();
    const depth = this.implicitDepth();
    let base: Expr;
    if (up > depth) {
      this.report(start, depth === 0 ? '"^" can only be used inside a filter [...]' : `"${'^'.repeat(up)}" climbs ${up} levels but only ${depth} enclosing filter${depth === 1 ? ' is' : 's are'} open`);
      base = { nodeType: 'parameterReference', position: 1, span: caretSpan };
    } else if (up === depth) {
      base = { nodeType: 'parameterReference', position: 1, span: caretSpan };
    } else {
      base = { nodeType: 'scopeReference', up, span: caretSpan };
    }
    return { nodeType: 'fieldLookup', fieldName: String(nameToken.value), object: base, span: this.spanFrom(start) };
  }

  // -------------------------------------------------------------------------------------------
  // Lambdas

  private parseLambdaParams(): string[] {
    this.expectSymbol('(');
    const params: string[] = [];
    for (;;) {
      const t = this.peek();
      const name = this.expectVariableName();
      if (params.includes(name)) this.report(t, `parameter "${name}" is declared twice`);
      params.push(name);
      if (!this.atSymbol(',')) break;
      this.next();
    }
    this.expectSymbol(')');
    this.expectSymbol('=>');
    return params;
  }

  parseInnerLambda(): Expr {
    const start = this.peek();
    return this.nested(() => {
      const params = this.parseLambdaParams();
      const body = this.withVariables(params, () => this.parseExpression());
      return { nodeType: 'lambda', params, body, span: this.spanFrom(start) };
    });
  }
}
