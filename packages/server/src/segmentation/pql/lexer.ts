/**
 * Turns PQL text into tokens. Never throws: a bad character or an unterminated string is
 * recorded as an error and lexing goes on, so the parser can still report what follows.
 * Strings use double quotes with JSON-style escapes; an unknown escape such as `\w` keeps its
 * backslash (Adobe's `regexGroup("@(\w+)", 1)` example relies on it). Backquoted names
 * (`` `now` ``) are field names that would otherwise read as keywords (a Meridian extension the
 * printer uses to round-trip any field name).
 *
 * @example
 *   tokenize('a.b = "x"').tokens.map((t) => t.text);  // ['a', '.', 'b', '=', '"x"', '']
 */
import { positionAt, syntaxError, type PqlSyntaxError } from './errors.ts';

export type TokenKind = 'identifier' | 'quotedIdentifier' | 'string' | 'integer' | 'double' | 'parameter' | 'symbol' | 'end';

export interface Token {
  kind: TokenKind;
  /** The raw source text of the token. */
  text: string;
  /** Identifier name, decoded string, number, parameter position, or the symbol itself. */
  value: string | number;
  start: number;
  end: number;
  line: number;
  column: number;
}

const SYMBOLS_2 = new Set(['=>', '!=', '<=', '>=']);
const SYMBOLS_1 = new Set(['(', ')', '[', ']', '{', '}', ',', '.', ':', '^', '=', '<', '>', '+', '-', '*', '/', '%', '!']);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentifierStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentifierPart = (c: string) => isIdentifierStart(c) || isDigit(c);

/**
 * Words that read as keywords at the start of a path (or right after `occurs`, `from`, `where`...).
 * A field with one of these names is written quoted (`` `from` ``) by the printer, and a variable
 * may not take one of these names.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'true', 'false', 'now', 'today', 'yesterday', 'tomorrow', 'this', 'last', 'next', 'not', 'and', 'or', 'in', 'notIn', 'like',
  'occurs', 'on', 'before', 'after', 'from', 'between', 'exists', 'forall', 'select', 'where', 'let', 'over', 'xEvent',
  'sum', 'count', 'average', 'min', 'max', 'date', 'chain', 'if',
]);

/**
 * True when `name` can be written bare (letters, digits, `_`, not starting with a digit).
 *
 * @example
 *   isPlainIdentifier('_experience');  // true;  isPlainIdentifier('a b') → false
 */
export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Splits PQL text into tokens (ending with an `end` token) and lexical errors. */
export function tokenize(text: string): { tokens: Token[]; errors: PqlSyntaxError[] } {
  const tokens: Token[] = [];
  const errors: PqlSyntaxError[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let tokenLine = 1;
  let tokenColumn = 1;

  const push = (kind: TokenKind, start: number, value: string | number) => {
    tokens.push({ kind, text: text.slice(start, i), value, start, end: i, line: tokenLine, column: tokenColumn });
  };
  const error = (start: number, end: number, found: string, detail: string) => {
    const { line: l, column } = positionAt(text, start);
    errors.push(syntaxError({ offset: start, end, line: l, column }, found, [], detail));
  };

  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    tokenLine = line;
    tokenColumn = start - lineStart + 1;
    if (isIdentifierStart(c)) {
      while (i < text.length && isIdentifierPart(text[i])) i++;
      push('identifier', start, text.slice(start, i));
    } else if (isDigit(c)) {
      lexNumber(start);
    } else if (c === '"') {
      lexString(start);
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      const newline = text.indexOf('\n', i + 1);
      if (close < 0 || (newline >= 0 && newline < close)) {
        i = newline >= 0 ? newline : text.length;
        error(start, i, '"`"', 'unterminated quoted name: the closing backquote is missing');
      } else {
        i = close + 1;
        const name = text.slice(start + 1, close);
        if (name === '') error(start, i, '"``"', 'a quoted name cannot be empty');
        push('quotedIdentifier', start, name);
      }
    } else if (c === '$') {
      i++;
      while (i < text.length && isDigit(text[i])) i++;
      if (i === start + 1) error(start, i, '"$"', 'expected a parameter number after "$" (as in $1)');
      else push('parameter', start, Number(text.slice(start + 1, i)));
    } else if (SYMBOLS_2.has(text.slice(i, i + 2))) {
      i += 2;
      push('symbol', start, text.slice(start, i));
    } else if (SYMBOLS_1.has(c)) {
      i++;
      push('symbol', start, c);
    } else {
      const code = text.codePointAt(i) ?? 0;
      i += code > 0xffff ? 2 : 1;
      const shown = c === "'" ? `"'" (strings use double quotes)` : `"${text.slice(start, i)}"`;
      error(start, i, shown, `unexpected character ${shown}`);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', start: text.length, end: text.length, line, column: text.length - lineStart + 1 });
  return { tokens, errors };

  function lexNumber(start: number) {
    while (i < text.length && isDigit(text[i])) i++;
    let isDouble = false;
    if (text[i] === '.' && isDigit(text[i + 1] ?? '')) {
      isDouble = true;
      i++;
      while (i < text.length && isDigit(text[i])) i++;
    }
    if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text[i + 1] ?? '') || ((text[i + 1] === '+' || text[i + 1] === '-') && isDigit(text[i + 2] ?? '')))) {
      isDouble = true;
      i += 2;
      while (i < text.length && isDigit(text[i])) i++;
    }
    const raw = text.slice(start, i);
    const value = Number(raw);
    if (!isDouble && !Number.isSafeInteger(value)) error(start, i, `number ${raw}`, `integer ${raw} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
    if (isDouble && !Number.isFinite(value)) error(start, i, `number ${raw}`, `number ${raw} is too large`);
    push(isDouble ? 'double' : 'integer', start, value);
  }

  function lexString(start: number) {
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      const ch = text[i];
      if (ch === '\n') {
        line++;
        lineStart = i + 1;
      }
      if (ch !== '\\') {
        value += ch;
        i++;
        continue;
      }
      const next = text[i + 1];
      if (next === undefined) {
        i++;
        break;
      }
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else if (next in ESCAPES) {
        value += ESCAPES[next];
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    if (i >= text.length) {
      error(start, text.length, 'end of input', 'unterminated string: the closing double quote is missing');
    } else {
      i++;
    }
    push('string', start, value);
  }
}
