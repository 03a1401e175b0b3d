/**
 * Syntax errors of PQL text: where (line, column, offset), what was found and what was
 * expected, in one message a person can act on. The parser returns these as a list (an API
 * answers 422 with all of them); `PqlParseError` wraps the list for callers that prefer throwing.
 *
 * @example
 *   const r = parse('a = (1');
 *   r.ok === false && r.errors[0].message;  // 'line 1, column 7: expected ")" but found end of input'
 */

/** One error in PQL text. */
export interface PqlSyntaxError {
  /** `line L, column C: <detail>` — ready to show. */
  message: string;
  /** The message without the position prefix. */
  detail: string;
  line: number;
  column: number;
  /** UTF-16 offset of the offending text; `end` is exclusive. */
  offset: number;
  end: number;
  /** How the offending token reads, e.g. `")"`, `end of input`, `string "abc"`. */
  found: string;
  /** What would have been accepted here, when that is a short list (may be empty). */
  expected: string[];
}

/** Thrown by `parseOrThrow`; carries every error found. */
export class PqlParseError extends Error {
  override name = 'PqlParseError';
  constructor(readonly errors: PqlSyntaxError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

export interface SourcePosition {
  offset: number;
  end: number;
  line: number;
  column: number;
}

/**
 * Builds an error (`syntaxError(at, '"x"', ['")"'])` reads `line L, column C: expected ")" but found "x"`). With `expected`, the detail reads `expected X or Y but found Z`; otherwise
 * the given detail is used as is.
 */
export function syntaxError(at: SourcePosition, found: string, expected: string[], detail?: string): PqlSyntaxError {
  const text = detail ?? `expected ${joinAlternatives(expected)} but found ${found}`;
  return { message: `line ${at.line}, column ${at.column}: ${text}`, detail: text, line: at.line, column: at.column, offset: at.offset, end: at.end, found, expected };
}

function joinAlternatives(items: string[]): string {
  if (items.length <= 1) return items[0] ?? 'something else';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * 1-based line and column of an offset.
 *
 * @example
 *   positionAt('a\nbc', 3);  // { line: 2, column: 2 }
 */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
