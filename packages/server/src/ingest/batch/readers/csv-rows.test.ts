import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeridianError } from '../../../errors.ts';
import { readCsvHeader, readCsvRows } from './csv-rows.ts';
import type { RowRead } from './file-rows.ts';

let scratch: string;
let files = 0;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'meridian-csv-rows-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function csvFile(content: string | Buffer): string {
  const path = join(scratch, `file-${++files}.csv`);
  writeFileSync(path, content);
  return path;
}

async function chunksOf(path: string, skipRows = 0, chunkRows = 1000): Promise<RowRead<string[]>[][]> {
  const chunks: RowRead<string[]>[][] = [];
  for await (const chunk of readCsvRows(path, { skipRows, chunkRows }).chunks) chunks.push(chunk);
  return chunks;
}

function invalidFile(detail: string) {
  return (error: unknown) => error instanceof MeridianError && error.code === 'INVALID_FILE' && error.detail === detail;
}

test('the header is the first row, trimmed, after the byte order mark and any empty lines', async () => {
  assert.deepEqual(await readCsvHeader(csvFile('\ufeff\n\n crm.crmId ,"person.name.firstName"\nC1,Ada\n')), ['crm.crmId', 'person.name.firstName']);
  assert.deepEqual(await readCsvHeader(csvFile('crm.crmId')), ['crm.crmId'], 'a file of one line without its line ending');
});

test('a file without a row is empty', async () => {
  for (const content of ['', '\n\n\n', '\r\n\r\n', '\ufeff']) {
    await assert.rejects(readCsvHeader(csvFile(content)), invalidFile('the file is empty: a CSV file needs a header row naming its columns'), JSON.stringify(content));
    assert.deepEqual(await chunksOf(csvFile(content)), []);
  }
});

test('a header with a quote never closed cannot be read, and says where the file ends', async () => {
  const path = csvFile('crm.crmId,"person\nC1,Ada\nC2,Bob');
  await assert.rejects(readCsvHeader(path), invalidFile('the CSV header cannot be read: Quote Not Closed: the parsing is finished with an opening quote at line 3'));
  await assert.rejects(
    chunksOf(path),
    invalidFile('the CSV header cannot be read: a quote opened in this row is never closed, so everything up to the end of the file (line 3) was read as one value'),
  );
});

test('data rows are numbered from 1 after the header; empty lines take no number; every row keeps its own number of values', async () => {
  const chunks = await chunksOf(csvFile('crm.crmId,person.name.firstName\nC1,Ada\n\nC2\nC3,Cy,extra\n\nC4,O"Neil'));
  assert.deepEqual(chunks, [
    [
      { row: 1, values: ['C1', 'Ada'] },
      { row: 2, values: ['C2'] },
      { row: 3, values: ['C3', 'Cy', 'extra'] },
      { row: 4, values: ['C4', 'O"Neil'] },
    ],
  ]);
});

test('a quote never closed rejects the row it opens in, after the rows before it, with the reason', async () => {
  const chunks = await chunksOf(csvFile('crm.crmId,person.name.firstName\nC1,Ada\nC2,"Bob\nC3,Cy\n'));
  assert.deepEqual(chunks, [
    [
      { row: 1, values: ['C1', 'Ada'] },
      { row: 2, unreadable: 'a quote opened in this row is never closed, so everything up to the end of the file (line 4) was read as one value', original: '' },
    ],
  ]);
});

test('rows already written are read but not returned (resume), and chunks hold at most chunkRows rows', async () => {
  const path = csvFile(['crm.crmId', ...Array.from({ length: 10 }, (_, i) => `C${i + 1}`)].join('\r\n') + '\r\n');
  const chunks = await chunksOf(path, 3, 4);
  assert.deepEqual(chunks.map((chunk) => chunk.map((r) => r.row)), [[4, 5, 6, 7], [8, 9, 10]]);
  assert.deepEqual(chunks[0][0], { row: 4, values: ['C4'] });
  assert.deepEqual(await chunksOf(path, 10, 4), [], 'a resume past the last row reads nothing more');
});

test('a large file streams in pieces: characters and quoted values cut between reads come out whole, and progress reaches the file size', async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => [`C${i}`, i % 3 === 0 ? `"Zoë ""${i}"",\nMüller"` : `Chloé ${i}`]);
  const path = csvFile(['crm.crmId,person.name.firstName', ...rows.map((r) => r.join(','))].join('\n'));
  const read = readCsvRows(path, { skipRows: 0, chunkRows: 2000 });
  const progress: number[] = [];
  const values: string[][] = [];
  for await (const chunk of read.chunks) {
    progress.push(read.bytesRead());
    for (const row of chunk) values.push(row.values ?? []);
  }
  assert.equal(values.length, rows.length);
  assert.deepEqual(values[3], ['C3', 'Zoë "3",\nMüller']);
  assert.deepEqual(values[19_999], ['C19999', 'Chloé 19999']);
  assert.ok(progress[0] < statSync(path).size, 'the first chunk comes before the whole file is read');
  assert.equal(read.bytesRead(), statSync(path).size);
});
