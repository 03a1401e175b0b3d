/**
 * The machinery under the PQL grammar: the token cursor, error recording and recovery (an error
 * unwinds to the nearest list, which skips to the next `,` or closing bracket and goes on), the
 * nesting guard, and name resolution through scopes — variables bound by quantifiers, `let` and
 * lambdas, the root lambda's parameters, and implicit scopes (filters, element arguments, chain
 * steps) where a bare path starts at the current element. `parser.ts` builds the grammar on it.
 *
 * @example
 *   class Grammar extends ParserBase { ... }  // see parser.ts
 */
import type { Expr, Span } from './ast.ts';
import { syntaxError, type PqlSyntaxError } from './errors.ts';
import { RESERVED_WORDS, type Token } from './lexer.ts';

/** Thrown inside the parser after an error has been recorded, to unwind to the nearest recovery point. */
export class Abort {
  constructor(readonly fatal: boolean) {}
}

export type Scope = { kind: 'implicit' } | { kind: 'variables'; names: ReadonlySet<string> } | { kind: 'parameters'; names: readonly string[] };

export class ParserBase {
  readonly errors: PqlSyntaxError[] = [];
  private pos = 0;
  protected nesting = 0;
  private scopes: Scope[] = [];
  /** While parsing a `let` value, `in` ends the value instead of being the membership operator. */
  protected noIn = false;

  /** Bracket level of each token: an opener and its closer share a level; what is between them is one deeper. */
  private readonly levels: number[];

  constructor(
    readonly text: string,
    private readonly tokens: Token[],
    protected readonly maxNesting: number,
  ) {
    let level = 0;
    this.levels = tokens.map((t) => {
      if (t.kind !== 'symbol') return level;
      if (t.value === '(' || t.value === '[' || t.value === '{') return level++;
      if (t.value === ')' || t.value === ']' || t.value === '}') level = Math.max(0, level - 1);
      return level;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Cursor

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  /** Index of the next token, for look-ahead scans. */
  get position(): number {
    return this.pos;
  }

  tokenAt(index: number): Token {
    return this.tokens[Math.min(index, this.tokens.length - 1)];
  }

  atSymbol(symbol: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'symbol' && t.value === symbol;
  }

  /** True when the token is the identifier `word` (exact case, or any case with `anyCase`). */
  atWord(word: string, ahead = 0, anyCase = false): boolean {
    const t = this.peek(ahead);
    if (t.kind !== 'identifier') return false;
    return anyCase ? String(t.value).toLowerCase() === word.toLowerCase() : t.value === word;
  }

  expectSymbol(symbol: string): Token {
    if (!this.atSymbol(symbol)) this.fail([`"${symbol}"`]);
    return this.next();
  }

  expectWord(word: string, anyCase = false): Token {
    if (!this.atWord(word, 0, anyCase)) this.fail([`"${word}"`]);
    return this.next();
  }

  expectName(what: string): string {
    const t = this.peek();
    if (t.kind !== 'identifier') this.fail([what]);
    this.next();
    return String(t.value);
  }

  /** A name for a variable or lambda parameter: an identifier that is not a reserved word. */
  expectVariableName(): string {
    const t = this.peek();
    const name = this.expectName('a variable name');
    if (RESERVED_WORDS.has(name)) this.report(t, `"${name}" is a reserved word and cannot name a variable`);
    return name;
  }

  /** The span from `start` to the end of the last consumed token. */
  spanFrom(start: Token): Span {
    const last = this.tokens[Math.max(this.pos - 1, 0)];
    return { start: start.start, end: Math.max(last.end, start.end), line: start.line, column: start.column };
  }

  // -------------------------------------------------------------------------------------------
  // Errors

  describe(token: Token): string {
    switch (token.kind) {
      case 'end': return 'end of input';
      case 'string': return `string ${token.text.length > 40 ? `${token.text.slice(0, 37)}..."` : token.text}`;
      case 'integer': case 'double': return `number ${token.text}`;
      default: return `"${token.text}"`;
    }
  }

  /** Records an error at `token` without stopping. */
  report(token: Token, detail: string, expected: string[] = []): void {
    this.errors.push(syntaxError({ offset: token.start, end: token.end, line: token.line, column: token.column }, this.describe(token), expected, detail));
  }

  /** Records an error at a span (e.g. a whole argument) without stopping. */
  reportSpan(span: Span | undefined, fallback: Token, detail: string): void {
    if (!span) return this.report(fallback, detail);
    this.errors.push(syntaxError({ offset: span.start, end: span.end, line: span.line, column: span.column }, this.text.slice(span.start, span.end), [], detail));
  }

  /** Records `expected X but found <next token>` and unwinds to the nearest recovery point. */
  fail(expected: string[], token: Token = this.peek()): never {
    this.errors.push(syntaxError({ offset: token.start, end: token.end, line: token.line, column: token.column }, this.describe(token), expected));
    throw new Abort(false);
  }

  /** Records a free-form error at `token` and unwinds. */
  failWith(token: Token, detail: string): never {
    this.report(token, detail);
    throw new Abort(false);
  }

  /**
   * After an error inside a list opened at `listLevel`, skips to that list's next `,` or to its
   * closing bracket (or the end), without consuming it — however deep inside the error happened.
   */
  private recoverInList(listLevel: number): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return;
      const level = this.levels[this.pos];
      if (t.kind === 'symbol' && ((t.value === ',' && level === listLevel + 1) || level <= listLevel)) return;
      this.next();
    }
  }

  /**
   * Parses `item (, item)* close` (the opening bracket already consumed). An error inside one
   * item is recorded and the list resumes at the next `,`, so later items are checked too.
   */
  parseList<T>(close: string, item: () => T): T[] {
    const listLevel = this.levels[Math.max(this.pos - 1, 0)];
    const items: T[] = [];
    if (this.atSymbol(close)) {
      this.next();
      return items;
    }
    for (;;) {
      try {
        items.push(item());
      } catch (error) {
        if (!(error instanceof Abort) || error.fatal) throw error;
        this.recoverInList(listLevel);
      }
      if (this.atSymbol(',')) {
        this.next();
        continue;
      }
      if (this.atSymbol(close)) {
        this.next();
        return items;
      }
      this.fail(['","', `"${close}"`]);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Scopes and names

  /** Runs `parse` with a new implicit scope: bare paths inside start at the current element. */
  withImplicitScope<T>(parse: () => T): T {
    return this.withScope({ kind: 'implicit' }, parse);
  }

  withVariables<T>(names: string[], parse: () => T): T {
    return this.withScope({ kind: 'variables', names: new Set(names) }, parse);
  }

  protected withScope<T>(scope: Scope, parse: () => T): T {
    this.scopes.push(scope);
    const saved = this.noIn;
    this.noIn = false;
    try {
      return parse();
    } finally {
      this.scopes.pop();
      this.noIn = saved;
    }
  }

  /** Runs `parse` with `in` treated as a terminator (for `let X = value in body`) or as an operator again. */
  withNoIn<T>(noIn: boolean, parse: () => T): T {
    const saved = this.noIn;
    this.noIn = noIn;
    try {
      return parse();
    } finally {
      this.noIn = saved;
    }
  }

  protected implicitDepth(): number {
    return this.scopes.filter((s) => s.kind === 'implicit').length;
  }

  /** The node a bare path starts from: the innermost implicit scope's element, else the profile. */
  private implicitRoot(span: Span): Expr {
    return this.implicitDepth() > 0 ? { nodeType: 'scopeReference', up: 0, span } : { nodeType: 'parameterReference', position: 1, span };
  }

  /** Resolves a bare name at the start of a path: a bound name, `xEvent`, or a field of the implicit root. */
  protected resolveName(name: string, token: Token, quoted: boolean): Expr {
    const span = this.spanFrom(token);
    if (!quoted) {
      for (let i = this.scopes.length - 1; i >= 0; i--) {
        const scope = this.scopes[i];
        if (scope.kind === 'variables' && scope.names.has(name)) return { nodeType: 'variableReference', name, span };
        if (scope.kind === 'parameters' && scope.names.includes(name)) return { nodeType: 'parameterReference', position: scope.names.indexOf(name) + 1, span };
      }
      if (name === 'xEvent') return { nodeType: 'fieldLookup', fieldName: 'xEvent', object: { nodeType: 'parameterReference', position: 1, span }, span };
    }
    return { nodeType: 'fieldLookup', fieldName: name, object: this.implicitRoot(span), span };
  }

  /** Counts one level of nesting; too deep is a fatal error (no recovery), never a stack overflow. */
  protected enter(): void {
    if (++this.nesting > this.maxNesting) {
      this.report(this.peek(), `expression is nested too deeply (more than ${this.maxNesting} levels)`);
      throw new Abort(true);
    }
  }

  /** `(` NAME (`,` NAME)* `)` `=>` ahead? */
  isLambdaAhead(): boolean {
    if (!this.atSymbol('(')) return false;
    let i = 1;
    for (;;) {
      if (this.peek(i).kind !== 'identifier') return false;
      i++;
      if (this.atSymbol(',', i)) {
        i++;
        continue;
      }
      return this.atSymbol(')', i) && this.atSymbol('=>', i + 1);
    }
  }
}
