import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { FileTextDecoder, readFileText } from './file-text.ts';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'meridian-file-text-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Decodes bytes given in pieces cut at `cuts`. */
function decodePieces(bytes: Buffer, cuts: readonly number[] = []): string {
  const decoder = new FileTextDecoder();
  let text = '';
  let from = 0;
  for (const cut of [...cuts, bytes.length].sort((a, b) => a - b)) {
    if (cut < from) continue;
    text += decoder.write(bytes.subarray(from, cut));
    from = cut;
  }
  return text + decoder.end();
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

test('the UTF-8 byte order mark is skipped, once, even when it arrives a byte at a time', () => {
  assert.equal(decodePieces(Buffer.concat([UTF8_BOM, Buffer.from('a,b')]), [1, 2]), 'a,b');
  assert.equal(decodePieces(Buffer.concat([UTF8_BOM, UTF8_BOM, Buffer.from('a')])), '\ufeffa');
  assert.equal(decodePieces(Buffer.from('a,\ufeff')), 'a,\ufeff', 'a U+FEFF later in the file is text');
});

test('a file starting with the UTF-16LE byte order mark is read as UTF-16LE', () => {
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\nC1,Zoë\n', 'utf16le')]);
  assert.equal(decodePieces(bytes, [3, 9]), 'id,name\nC1,Zoë\n');
});

test('a file shorter than three bytes has no byte order mark', () => {
  assert.equal(decodePieces(Buffer.from('a\n')), 'a\n');
  assert.equal(decodePieces(Buffer.from([0xef, 0xbb])), '\ufffd', 'half a BOM is an unreadable character, as csv-parse read it');
  assert.equal(decodePieces(Buffer.alloc(0)), '');
});

test('property: UTF-8 text cut between any two bytes decodes as the whole text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean(), fc.array(fc.nat(200), { maxLength: 8 }), (text, withBom, cuts) => {
      const bytes = Buffer.concat([withBom ? UTF8_BOM : Buffer.alloc(0), Buffer.from(text)]);
      assert.equal(decodePieces(bytes, cuts), text);
    }),
    { numRuns: 2000 },
  );
});

test('a file is read in pieces of the size asked, and its bytes are counted as they are read', async () => {
  const path = join(scratch, 'pieces.csv');
  const content = 'crm.crmId,person.name.firstName\n' + Array.from({ length: 200 }, (_, i) => `C${i},Chloé ${i}`).join('\n');
  writeFileSync(path, Buffer.concat([UTF8_BOM, Buffer.from(content)]));
  const file = readFileText(path, { readBytes: 64 });
  const pieces: string[] = [];
  const counted: number[] = [];
  for await (const piece of file.pieces) {
    pieces.push(piece);
    counted.push(file.bytesRead());
  }
  assert.equal(pieces.join(''), content);
  assert.ok(pieces.length > 10, 'the file came in many pieces');
  assert.ok(counted.every((bytes, i) => i === 0 || bytes >= counted[i - 1]), 'the count only grows');
  assert.equal(file.bytesRead(), Buffer.byteLength(content) + UTF8_BOM.length);
});

test('a missing file fails the reading with the file system error', async () => {
  const file = readFileText(join(scratch, 'missing.csv'));
  await assert.rejects(async () => {
    for await (const _piece of file.pieces) assert.fail('no text expected');
  }, /ENOENT/);
});

test("in a worker thread (where batches are read) the file is read by the thread itself, with the same text and count", async () => {
  const path = join(scratch, 'worker.csv');
  const content = 'id,name\n' + Array.from({ length: 300 }, (_, i) => `C${i},Zoë ${i} 😀`).join('\r\n');
  writeFileSync(path, Buffer.concat([UTF8_BOM, Buffer.from(content)]));
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(import.meta.resolve('meridian/loader'))})
      .then(() => import(${JSON.stringify(new URL('./file-text.ts', import.meta.url).href)}))
      .then(async ({ readFileText }) => {
        const read = async (p) => { const file = readFileText(p, { readBytes: 7 }); let text = ''; let pieces = 0; for await (const piece of file.pieces) { text += piece; pieces++; } return { text, pieces, bytes: file.bytesRead() }; };
        const missing = await read(workerData.missing).then(() => 'no error', (err) => err.code);
        parentPort.postMessage({ ...(await read(workerData.path)), missing });
      });`;
  const answer = await new Promise<{ text: string; pieces: number; bytes: number; missing: string }>((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { path, missing: join(scratch, 'missing.csv') } });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  assert.equal(answer.text, content);
  assert.ok(answer.pieces > 100, 'read in pieces of the size asked');
  assert.equal(answer.bytes, Buffer.byteLength(content) + UTF8_BOM.length);
  assert.equal(answer.missing, 'ENOENT');
});
