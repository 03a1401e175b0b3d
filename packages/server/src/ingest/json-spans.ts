/**
 * The text of each record in a JSON request body, so ingestion can store what the client sent
 * instead of serializing every parsed record again (JSON.stringify was about a tenth of the event
 * loop's time under batched ingestion). The body has already been parsed, so it is known to be
 * valid JSON: the scan only tracks strings (jumping from quote to quote) and bracket depth.
 *
 * A record whose text has whitespace outside its strings (pretty-printed input) gets `undefined`
 * and is serialized as before, so stored bodies are always compact.
 *
 * @example
 *   recordTexts('[{"a":1}, {"b": [2, 3]}]'); // ['{"a":1}', undefined]
 *   recordTexts('{"a":1}');                  // ['{"a":1}']
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the quote closing the string whose opening quote is at `open`. */
function stringEnd(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let k = quote - 1; k > open && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

/**
 * The compact text of each element of a top-level array (or of a single top-level value, as a
 * one-element list); `undefined` for an element with whitespace between its tokens.
 */
export function recordTexts(text: string): (string | undefined)[] {
  let start = 0;
  while (start < text.length && isWhitespace(text.charCodeAt(start))) start++;
  let end = text.length;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  if (text.charCodeAt(start) !== OPEN_BRACKET) return [compactOrUndefined(text, start, end)];
  const out: (string | undefined)[] = [];
  let depth = 0;
  let elementStart = -1;
  let lastToken = -1;
  let spaced = false;
  const finish = () => {
    if (elementStart >= 0) out.push(spaced ? undefined : text.slice(elementStart, lastToken + 1));
    elementStart = -1;
    spaced = false;
  };
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) {
      if (depth > 0) spaced = true;
      continue;
    }
    if (depth === 0 && (c === COMMA || c === CLOSE_BRACKET)) {
      finish();
      if (c === CLOSE_BRACKET) break;
      continue;
    }
    if (elementStart < 0) elementStart = i;
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    lastToken = i;
  }
  return out;
}

function compactOrUndefined(text: string, start: number, end: number): string | undefined {
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) return undefined;
    i = c === QUOTE ? stringEnd(text, i) + 1 : i + 1;
  }
  return text.slice(start, end);
}
