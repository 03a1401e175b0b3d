/**
 * Streaming CSV parsing of decoded text, pushed in pieces of any size: RFC 4180 quoting, plus
 * the lenient reading batch files had with csv-parse (`relax_quotes`, `relax_column_count`,
 * `skip_empty_lines`): a quote inside an unquoted value is literal, a quoted value followed by
 * text is read as written (quotes included), rows may have any number of cells, empty lines are
 * skipped. The line ending is the first one met outside quotes (`\r\n`, `\n` or `\r`) and the
 * only one that ends rows from then on. A quote still open at the end of the text is reported
 * with the number of the last line. No I/O: `csv-rows.ts` reads files with it.
 *
 * @example
 *   const parser = new CsvParser();
 *   parser.push('id,name\n1,"Ada ');  // [['id', 'name']]
 *   parser.push('Lovelace"\n2,O"Neil');  // [['1', 'Ada Lovelace']]
 *   parser.finish();                  // { rows: [['2', 'O"Neil']] }
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

/** Where the parser stands inside the current value. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
type FieldState = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED;

/** How rows end: unknown until the first line ending outside quotes. */
type RowEnding = '' | '\n' | '\r\n' | '\r';

export interface CsvEnd {
  /** The rows completed by the end of the text. */
  rows: string[][];
  /** Set when a quote is still open at the end: the number of the last line (the open row is dropped). */
  unclosedQuoteLine?: number;
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) count++;
  return count;
}

export class CsvParser {
  private ending: RowEnding = '';
  /** Text held back because what it means depends on what comes next (a quote or `\r` at the very end). */
  private carry = '';
  private record: string[] = [];
  private field = '';
  private state: FieldState = FIELD_START;
  /** The current value was quoted and closed: it is a value even when empty, so the line is not an empty one. */
  private wasQuoted = false;
  // Line numbering for an unclosed quote, counted as csv-parse did: every `\r` and `\n` is a line
  // break, except that a `\r\n` ending a row counts once and a break at the very end starts no line.
  private lineBreaks = 0;
  private crlfRowEndings = 0;
  private endsWithBreak = false;
  private finished = false;

  /** Parses the next piece of text; returns the rows it completed. */
  push(text: string): string[][] {
    if (this.finished) throw new Error('the CSV text was already finished');
    const rows: string[][] = [];
    if (text === '') return rows;
    this.lineBreaks += countOf(text, '\n') + countOf(text, '\r');
    const last = text.charCodeAt(text.length - 1);
    this.endsWithBreak = last === LF || last === CR;
    const input = this.carry === '' ? text : this.carry + text;
    this.carry = '';
    this.scan(input, false, rows);
    return rows;
  }

  /** Ends the text: returns the rows completed by it, the last one possibly without a line ending. */
  finish(): CsvEnd {
    if (this.finished) throw new Error('the CSV text was already finished');
    const rows: string[][] = [];
    const input = this.carry;
    this.carry = '';
    this.scan(input, true, rows);
    this.finished = true;
    if (this.state === QUOTED) {
      return { rows, unclosedQuoteLine: 1 + this.lineBreaks - this.crlfRowEndings - (this.endsWithBreak ? 1 : 0) };
    }
    if (this.wasQuoted || this.record.length > 0 || this.field !== '') {
      this.record.push(this.field);
      rows.push(this.record);
    }
    return { rows };
  }

  /**
   * Reads `text` from the current state, adding complete rows to `rows`. Unless `atEnd`, text
   * whose meaning depends on what follows is kept in `carry` for the next push.
   */
  private scan(text: string, atEnd: boolean, rows: string[][]): void {
    const length = text.length;
    let at = 0;
    // Next comma and next row ending at or after `at` (`length` when none): found once, used until passed.
    let nextComma = -1;
    let nextEnding = -1;
    while (at < length) {
      if (this.state === FIELD_START) {
        if (text.charCodeAt(at) === QUOTE) {
          this.state = QUOTED;
          at++;
          continue;
        }
        this.state = UNQUOTED;
      }

      if (this.state === QUOTED) {
        const quote = text.indexOf('"', at);
        if (quote === -1) {
          this.field += text.slice(at);
          at = length;
          break;
        }
        const next = quote + 1 < length ? text.charCodeAt(quote + 1) : -1;
        if (next === QUOTE) {
          this.field += text.slice(at, quote + 1); // `""` is one quote
          at = quote + 2;
          continue;
        }
        const closes = this.quoteCloses(text, quote, atEnd);
        if (closes === undefined) {
          // The quote is the end of the text so far: decide once more text has come.
          this.field += text.slice(at, quote);
          this.carry = text.slice(quote);
          return;
        }
        if (closes) {
          this.field += text.slice(at, quote);
          this.wasQuoted = true;
        } else {
          // Text after a closing quote: the value is taken as written, quotes included, and goes on unquoted.
          this.field = `"${this.field}${text.slice(at, quote)}"`;
        }
        this.state = UNQUOTED;
        at = quote + 1;
        continue;
      }

      // Unquoted (or just after a closing quote): the value runs to the next comma or row ending.
      if (this.ending === '') {
        at = this.scanFirstLine(text, at, atEnd, rows);
        if (this.carry !== '') return;
        continue;
      }
      if (nextComma < at) {
        nextComma = text.indexOf(',', at);
        if (nextComma === -1) nextComma = length;
      }
      if (nextEnding < at) {
        nextEnding = text.indexOf(this.ending, at);
        if (nextEnding === -1) nextEnding = length;
      }
      if (nextComma < nextEnding) {
        this.endField(text.slice(at, nextComma));
        at = nextComma + 1;
      } else if (nextEnding < length) {
        this.endRow(text.slice(at, nextEnding), rows);
        at = nextEnding + this.ending.length;
      } else {
        // No end of value yet; a final `\r` may be the start of a `\r\n`.
        const keep = !atEnd && this.ending === '\r\n' && text.charCodeAt(length - 1) === CR ? 1 : 0;
        this.field += text.slice(at, length - keep);
        if (keep > 0) this.carry = text.slice(length - keep);
        return;
      }
    }
  }

  /**
   * Whether the quote at `quote` (not followed by another quote) closes the value: yes before a
   * comma, a row ending, a NUL or the end of the text; `undefined` when that depends on text not
   * pushed yet.
   */
  private quoteCloses(text: string, quote: number, atEnd: boolean): boolean | undefined {
    const after = quote + 1;
    if (after >= text.length) return atEnd ? true : undefined;
    const next = text.charCodeAt(after);
    if (next === COMMA || next === NUL) return true;
    switch (this.ending) {
      case '\n':
        return next === LF;
      case '\r':
        return next === CR;
      case '\r\n':
        if (next !== CR) return false;
        if (after + 1 >= text.length) return atEnd ? false : undefined;
        return text.charCodeAt(after + 1) === LF;
      default:
        return next === LF || next === CR;
    }
  }

  /**
   * Unquoted text before any row ending was seen: the first `\r\n`, `\n` or `\r` sets how rows end.
   * Returns where reading goes on; sets `carry` when a final `\r` needs the next character.
   */
  private scanFirstLine(text: string, from: number, atEnd: boolean, rows: string[][]): number {
    const length = text.length;
    for (let at = from; at < length; at++) {
      const char = text.charCodeAt(at);
      if (char === COMMA) {
        this.endField(text.slice(from, at));
        return at + 1;
      }
      if (char !== LF && char !== CR) continue;
      if (char === CR && at + 1 >= length && !atEnd) {
        this.field += text.slice(from, at);
        this.carry = text.slice(at);
        return length;
      }
      this.ending = char === LF ? '\n' : text.charCodeAt(at + 1) === LF ? '\r\n' : '\r';
      this.endRow(text.slice(from, at), rows);
      return at + this.ending.length;
    }
    this.field += text.slice(from);
    return length;
  }

  private endField(rest: string): void {
    this.record.push(this.field === '' ? rest : this.field + rest);
    this.field = '';
    this.wasQuoted = false;
    this.state = FIELD_START;
  }

  private endRow(rest: string, rows: string[][]): void {
    if (this.ending === '\r\n') this.crlfRowEndings++;
    const value = this.field === '' ? rest : this.field + rest;
    this.state = FIELD_START;
    if (value === '' && this.record.length === 0 && !this.wasQuoted) return; // an empty line
    this.record.push(value);
    rows.push(this.record);
    this.record = [];
    this.field = '';
    this.wasQuoted = false;
  }
}
