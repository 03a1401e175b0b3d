import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchemaDoc } from '../../schema/model.ts';
import { SchemaService } from '../../schema/service.ts';
import { SqliteSchemaStore } from '../../schema/sqlite-store.ts';
import { openSqlite } from '../../storage/sqlite.ts';
import { prepareChunks, type BatchJob, type PreparedChunk } from './prepare-chunks.ts';
import { ChunkReaderThread } from './read-in-worker.ts';

const SANDBOX = 'sbx_test';
let scratch: string;
let profile: SchemaDoc;
before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'meridian-prepare-'));
  const schemas = new SchemaService(new SqliteSchemaStore(openSqlite(':memory:')));
  await schemas.seedSandbox(SANDBOX);
  profile = (await schemas.compile(SANDBOX, 'profile')).doc;
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function csvJob(name: string, csv: string, chunkRows = 1000): BatchJob {
  const filePath = join(scratch, `${name}.csv`);
  writeFileSync(filePath, csv);
  const now = new Date().toISOString();
  return {
    sandboxId: SANDBOX,
    batchId: 'bat_t',
    dataset: { id: 'dst_t', name, schemaId: profile.id, class: 'profile', profileEnabled: true, labels: [], createdAt: now, updatedAt: now },
    schema: profile,
    format: 'csv',
    ignoreUnknownColumns: false,
    filePath,
    chunkRows,
  };
}

async function allChunks(job: BatchJob, skipRows = 0): Promise<PreparedChunk[]> {
  const chunks: PreparedChunk[] = [];
  for await (const chunk of prepareChunks(job, skipRows)) chunks.push(chunk);
  return chunks;
}

test('a CSV file becomes serialized records and rejections, in row order, chunk by chunk', async () => {
  const csv = 'crm.crmId,person.name.firstName,loyalty.points,person.birthDate\nC1,Ada,12,1815-12-10\nC2,Bob\nC3,Cy,lots,1990-01-01\nC4,"Di, ""D""",7,\nC5,"Ed\n';
  const job = csvJob('golden', csv, 2);
  const chunks = await allChunks(job);
  assert.deepEqual(chunks.map((c) => c.rowsRead), [2, 2, 1]);
  assert.deepEqual(chunks.flatMap((c) => c.recordIds), ['bat_t:1', 'bat_t:4']);
  assert.deepEqual(chunks.flatMap((c) => c.bodies), [
    '{"crm":{"crmId":"C1"},"person":{"name":{"firstName":"Ada"},"birthDate":"1815-12-10"},"loyalty":{"points":12},"_id":"bat_t:1"}',
    '{"crm":{"crmId":"C4"},"person":{"name":{"firstName":"Di, \\"D\\""}},"loyalty":{"points":7},"_id":"bat_t:4"}',
  ]);
  const rejections = chunks.flatMap((c) => c.rejections).map(({ index, errors, body }) => ({ index, errors, body }));
  assert.deepEqual(rejections, [
    { index: 2, errors: [{ path: '', message: 'has 2 values but the header has 4 columns' }], body: '{"crm.crmId":"C2","person.name.firstName":"Bob"}' },
    { index: 3, errors: [{ path: 'loyalty.points', message: 'must be a number, got "lots"' }], body: '{"crm.crmId":"C3","person.name.firstName":"Cy","loyalty.points":"lots","person.birthDate":"1990-01-01"}' },
    { index: 5, errors: [{ path: '', message: 'a quote opened in this row is never closed, so everything up to the end of the file (line 6) was read as one value' }], body: '""' },
  ]);
  assert.equal(chunks.at(-1)?.bytesRead, statSync(job.filePath).size);
  assert.deepEqual((await allChunks(job, 3)).flatMap((c) => c.recordIds), ['bat_t:4'], 'a resume passes over the rows already written');
});

test('records are timed by their timestamp column, and without one by when they were read', async () => {
  const timed = (await allChunks(csvJob('timed', 'crm.crmId,timestamp\nC1,2026-01-31T09:30:00Z\nC2,\n')))[0];
  const readAt = timed.timestamps[1];
  assert.deepEqual(timed.timestamps, [Date.parse('2026-01-31T09:30:00Z'), readAt]);
  const started = Date.now();
  const untimed = (await allChunks(csvJob('untimed', 'crm.crmId\nC1\n')))[0];
  assert.ok(untimed.timestamps[0] >= started && untimed.timestamps[0] <= Date.now());
});

test('one reader thread reads file after file, chunk for chunk as prepared in place; one left mid-file is ended', async () => {
  const reader = new ChunkReaderThread();
  try {
    const first = csvJob('thread-1', 'crm.crmId,loyalty.points\nA1,1\nA2,x\nA3,3\n', 2);
    const unreadable = csvJob('thread-bad', 'crm.crmId,no.such.field\nB1,1\n', 2);
    const second = csvJob('thread-2', 'crm.crmId,loyalty.points\nC1,1\nC2,2\nC3,3\nC4,4\nC5,5\n', 2);
    for (const job of [first, second]) {
      const read: PreparedChunk[] = [];
      for await (const chunk of reader.read(job, 1)) read.push(chunk);
      // Rows without a timestamp are timed when read: compare everything else.
      const timeless = (chunks: PreparedChunk[]) => chunks.map((chunk) => ({ ...chunk, timestamps: [] }));
      assert.deepEqual(timeless(read), timeless(await allChunks(job, 1)));
      assert.equal(reader.usable, true, 'waits for the next file');
      // A file it cannot read ends with a clear reason, and the thread reads the next one.
      await assert.rejects(async () => {
        for await (const _chunk of reader.read(unreadable, 0));
      }, /no\.such\.field/);
      assert.equal(reader.usable, true);
    }
    for await (const _chunk of reader.read(second, 0)) break;
    assert.equal(reader.usable, false, 'stopped mid-file: its state is unknown, so it is ended');
    await assert.rejects(async () => {
      for await (const _chunk of reader.read(first, 0));
    }, /cannot read another file/);
  } finally {
    await reader.terminate();
  }
});
