import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as csvParse, type CsvError } from 'csv-parse/sync';
import { CsvParser, type CsvEnd } from './csv-parser.ts';
import { FileTextDecoder } from './file-text.ts';

/** Parses `text` pushed in pieces cut at `cuts` (positions in the text). */
function parsePieces(text: string, cuts: readonly number[] = []): CsvEnd {
  const parser = new CsvParser();
  const rows: string[][] = [];
  let from = 0;
  for (const cut of [...cuts, text.length].sort((a, b) => a - b)) {
    if (cut < from) continue;
    rows.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  const end = parser.finish();
  return { ...end, rows: [...rows, ...end.rows] };
}

function rowsOf(text: string): string[][] {
  const end = parsePieces(text);
  assert.equal(end.unclosedQuoteLine, undefined);
  return end.rows;
}

test('quoted values keep commas, line breaks and doubled quotes', () => {
  assert.deepEqual(rowsOf('id,note\n1,"a, b"\n2,"two\nlines"\n3,"say ""hi"""\n4,""\n'), [
    ['id', 'note'],
    ['1', 'a, b'],
    ['2', 'two\nlines'],
    ['3', 'say "hi"'],
    ['4', ''],
  ]);
});

test('a stray quote inside an unquoted value is literal; text after a closing quote is kept as written', () => {
  assert.deepEqual(rowsOf('C4,O"Neil\n5,"ab"c,d\n6,"x""y"z\n7, "q"\n'), [
    ['C4', 'O"Neil'],
    ['5', '"ab"c', 'd'],
    ['6', '"x"y"z'],
    ['7', ' "q"'],
  ]);
});

test('rows keep however many values they have; a trailing comma is an empty last value', () => {
  assert.deepEqual(rowsOf('a,b\nC2\nC3,Cy,extra\nC4,\n'), [['a', 'b'], ['C2'], ['C3', 'Cy', 'extra'], ['C4', '']]);
});

test('empty lines are skipped, but a line holding only "" is a row with one empty value', () => {
  assert.deepEqual(rowsOf('\n\na\n\n\n""\n \n\n'), [['a'], [''], [' ']]);
  assert.deepEqual(rowsOf('a\r\n\r\nb\r\n'), [['a'], ['b']]);
});

test('the last row needs no line ending', () => {
  assert.deepEqual(rowsOf('a,b\n1,2'), [['a', 'b'], ['1', '2']]);
  assert.deepEqual(rowsOf('a,"b"'), [['a', 'b']]);
  assert.deepEqual(rowsOf(''), []);
});

test('the first line ending sets how every row ends, as csv-parse did', () => {
  assert.deepEqual(rowsOf('a,b\nc,d\r\ne,f\n'), [['a', 'b'], ['c', 'd\r'], ['e', 'f']], 'a \\r in a \\n file is part of the value');
  assert.deepEqual(rowsOf('a,b\r\nc\nd,e\r\n'), [['a', 'b'], ['c\nd', 'e']], 'a lone \\n in a \\r\\n file is part of the value');
  assert.deepEqual(rowsOf('a\rb,c\r'), [['a'], ['b', 'c']], 'old Mac line endings');
  assert.deepEqual(rowsOf('"x\ny"\r\nz\r\n'), [['x\ny'], ['z']], 'a line break inside quotes does not count');
});

test('a quote never closed drops its row and names the last line of the file', () => {
  assert.deepEqual(parsePieces('h,n\nC1,Ada\nC2,"Bob\nC3,Cy\n'), { rows: [['h', 'n'], ['C1', 'Ada']], unclosedQuoteLine: 4 });
  assert.deepEqual(parsePieces('h\r\nC2,"Bob\r\nC3'), { rows: [['h']], unclosedQuoteLine: 4 }, 'a \\r\\n inside the quote counts twice, as csv-parse counted it');
  assert.deepEqual(parsePieces('"'), { rows: [], unclosedQuoteLine: 1 });
});

test('pieces may be cut anywhere, even between a closing quote and its line ending', () => {
  const text = 'a,"b"\r\n"c""",d\r\ne,"f\r\n"\r\n';
  const whole = parsePieces(text);
  for (let cut = 0; cut <= text.length; cut++) {
    for (let second = cut; second <= text.length; second++) assert.deepEqual(parsePieces(text, [cut, second]), whole, `cut at ${cut} and ${second}`);
  }
});

test('a finished parser refuses more text', () => {
  const parser = new CsvParser();
  parser.finish();
  assert.throws(() => parser.push('a'));
});

/** A cell as RFC 4180 writes it: quoted when it must be (or when asked), quotes doubled. */
function quoteCell(cell: string, always: boolean): string {
  return always || /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

const cellText = fc.string({ unit: fc.constantFrom('a', 'é', '😀', ' ', ',', '"', '\r', '\n', '\0'), maxLength: 8 });
const rowsArbitrary = fc.array(fc.array(cellText, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 });

test('property: RFC 4180 text gives back its cells, whatever the line ending and wherever the pieces are cut', () => {
  fc.assert(
    fc.property(rowsArbitrary, fc.constantFrom('\r\n', '\n'), fc.boolean(), fc.array(fc.boolean(), { maxLength: 40 }), fc.array(fc.nat(400), { maxLength: 8 }), (rows, ending, finalEnding, quoting, cuts) => {
      let cellIndex = 0;
      const lines = rows.map((cells) =>
        cells
          // A row of one empty value must be quoted, or it would be an empty line (skipped).
          .map((cell) => quoteCell(cell, quoting[cellIndex++ % Math.max(1, quoting.length)] === true || (cells.length === 1 && cell === '')))
          .join(','),
      );
      const text = lines.join(ending) + (finalEnding ? ending : '');
      assert.deepEqual(parsePieces(text, cuts), { rows });
    }),
    { numRuns: 3000 },
  );
});

interface Reading {
  rows: string[][];
  unclosedQuoteLine?: number;
}

/** How the batch reader read bytes before it had its own parser: csv-parse with these options. */
function readWithCsvParse(bytes: Buffer): Reading {
  const skipped: CsvError[] = [];
  const rows = csvParse(bytes, {
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error) skipped.push(error);
      return undefined;
    },
  }) as string[][];
  assert.ok(skipped.every((e) => e.code === 'CSV_QUOTE_NOT_CLOSED') && skipped.length <= 1, 'an open quote at the end is the only error these options leave');
  return skipped.length > 0 ? { rows, unclosedQuoteLine: Number(skipped[0].lines) } : { rows };
}

function readWithParser(bytes: Buffer, cuts: readonly number[]): Reading {
  const decoder = new FileTextDecoder();
  const parser = new CsvParser();
  const rows: string[][] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length].sort((a, b) => a - b)) {
    if (cut < from) continue;
    rows.push(...parser.push(decoder.write(bytes.subarray(from, cut))));
    from = cut;
  }
  rows.push(...parser.push(decoder.end()));
  const end = parser.finish();
  return end.unclosedQuoteLine === undefined ? { rows: [...rows, ...end.rows] } : { rows: [...rows, ...end.rows], unclosedQuoteLine: end.unclosedQuoteLine };
}

test('property: any bytes read in any pieces give the rows and line numbers csv-parse gave (BOM, bad UTF-8, NUL, mixed line endings)', () => {
  const byte = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...Buffer.from('ab,"\r\n \0')) },
    { weight: 1, arbitrary: fc.constantFrom(0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x80) },
  );
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 6 }), (bytes, cuts) => {
      const file = Buffer.from(bytes);
      assert.deepEqual(readWithParser(file, cuts), readWithCsvParse(file));
    }),
    { numRuns: 20_000 },
  );
});
