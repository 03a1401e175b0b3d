/** Storing an upload: streamed to its file whole, refused past the limit, and with `durable` synced before it is answered. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { storeUpload } from './upload.ts';

const body = () => Readable.from(Array.from({ length: 64 }, (_, i) => Buffer.from(`row ${i},${'x'.repeat(1000)}\n`)));
const expected = Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.from(`row ${i},${'x'.repeat(1000)}\n`)));

for (const durable of [false, true]) {
  test(`an upload is stored whole${durable ? ', synced to the disk (MERIDIAN_DURABILITY=full)' : ''}, and refused past the limit`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-upload-'));
    try {
      const path = join(dir, 'source.csv');
      assert.equal(await storeUpload(body(), path, 1 << 20, { durable }), expected.length);
      assert.deepEqual(readFileSync(path), expected);
      await assert.rejects(storeUpload(body(), join(dir, 'big.csv'), 10_000, { durable }), (err: Error & { code?: string }) => err.code === 'PAYLOAD_TOO_LARGE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
