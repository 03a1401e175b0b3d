/* eslint-disable @typescript-eslint/no-explicit-any -- integration test: responses are asserted field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../testing/harness.ts';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteRecordStore } from '../sqlite-record-store.ts';
import { recordLogPath } from '../record-log-file.ts';
import { SqliteBatchStore } from './sqlite-batch-store.ts';
import type { Batch } from './model.ts';
import { createDataset, uploadBatch, waitForBatch } from './batch-test-support.ts';

const CSV = 'crm.crmId,person.name.firstName\nC1,Ada\nC2,Bob\nC3,Cy\nC4,Di\nC5,Ed\nC6,Flo\n';

function unfinished(id: string, datasetId: string, status: Batch['status'], counts: Partial<Batch> = {}): Batch {
  const now = new Date().toISOString();
  return {
    id, datasetId, status, format: 'csv', sizeBytes: Buffer.byteLength(CSV), ignoreUnknownColumns: false,
    rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, rowsDuplicate: 0, bytesProcessed: 0, progress: 0, createdAt: now, updatedAt: now,
    ...counts,
  };
}

test('after a restart, unfinished batches resume from their checkpoint without writing anything twice, or fail with a clear reason', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-resume-'));
  try {
    const first = await startTestServer({}, dataDir);
    const datasetId = await createDataset(first, 'crm_resume');
    const sandboxId = (await first.api('GET', '/api/v1/sandboxes')).body.items.find((s: any) => s.name === 'prod').id;
    await first.stop();

    // What a crash leaves behind: a chunk written but not checkpointed, a checkpointed chunk, a lost file, a cut upload.
    const db = openSqlite(recordLogPath(dataDir));
    const batches = new SqliteBatchStore(db);
    const records = new SqliteRecordStore(db);
    const record = (batchId: string, row: number, crmId: string) => ({
      sandboxId, datasetId, recordId: `${batchId}:${row}`, timestamp: Date.now(), batchId, body: JSON.stringify({ _id: `${batchId}:${row}`, crm: { crmId } }),
    });
    for (const id of ['bat_uncheckpointed', 'bat_checkpointed']) {
      mkdirSync(join(dataDir, 'batches', id), { recursive: true });
      writeFileSync(join(dataDir, 'batches', id, 'source.csv'), CSV);
    }
    await batches.put(sandboxId, unfinished('bat_uncheckpointed', datasetId, 'processing'));
    await records.append([record('bat_uncheckpointed', 1, 'C1'), record('bat_uncheckpointed', 2, 'C2')]);
    await batches.put(sandboxId, unfinished('bat_checkpointed', datasetId, 'processing', { rowsRead: 3, rowsAccepted: 3 }));
    await records.append([1, 2, 3].map((row) => record('bat_checkpointed', row, `C${row}`)));
    await batches.put(sandboxId, unfinished('bat_file_gone', datasetId, 'processing'));
    await batches.put(sandboxId, unfinished('bat_cut_upload', datasetId, 'loading'));
    db.close();

    const second = await startTestServer({}, dataDir);
    try {
      const replayed = await waitForBatch(second, 'bat_uncheckpointed');
      assert.deepEqual(
        { status: replayed.status, read: replayed.rowsRead, accepted: replayed.rowsAccepted, duplicate: replayed.rowsDuplicate },
        { status: 'success', read: 6, accepted: 4, duplicate: 2 },
        'rows written before the crash are recognised by their deterministic _id',
      );
      const resumed = await waitForBatch(second, 'bat_checkpointed');
      assert.deepEqual(
        { status: resumed.status, read: resumed.rowsRead, accepted: resumed.rowsAccepted, duplicate: resumed.rowsDuplicate },
        { status: 'success', read: 6, accepted: 6, duplicate: 0 },
        'a checkpointed batch carries on after its last checkpoint',
      );
      const gone = await waitForBatch(second, 'bat_file_gone');
      assert.equal(gone.status, 'failed');
      assert.match(gone.error, /the batch file is gone/);
      const cut = await waitForBatch(second, 'bat_cut_upload');
      assert.equal(cut.status, 'failed');
      assert.match(cut.error, /upload was interrupted/);
      const info = await second.api('GET', `/api/v1/datasets/${datasetId}`);
      assert.equal(info.body.recordCount, 12, 'six rows from each resumed file, none twice');
      const finishedDir = join(dataDir, 'batches', 'bat_uncheckpointed');
      for (let attempt = 0; attempt < 100 && existsSync(finishedDir); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(!existsSync(finishedDir), 'a finished batch leaves no file behind');
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a server stopped in the middle of a file finishes it after the restart, every row exactly once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-stop-'));
  try {
    const rows = 60_000;
    const lines = ['crm.crmId,loyalty.points'];
    for (let row = 1; row <= rows; row++) lines.push(`C${row},${row}`);
    const first = await startTestServer({}, dataDir);
    const datasetId = await createDataset(first, 'crm_stopped');
    const upload = await uploadBatch(first, datasetId, lines.join('\n') + '\n', { contentType: 'text/csv' });
    let progress: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 10));
      progress = (await first.api('GET', `/api/v1/batches/${upload.body.id}`)).body;
    } while (progress.rowsRead === 0 && progress.status === 'processing');
    await first.stop();
    const stopped = progress.status;

    const second = await startTestServer({}, dataDir);
    try {
      const batch = await waitForBatch(second, upload.body.id);
      assert.deepEqual({ status: batch.status, read: batch.rowsRead, accepted: batch.rowsAccepted + batch.rowsDuplicate }, { status: 'success', read: rows, accepted: rows });
      assert.equal((await second.api('GET', `/api/v1/datasets/${datasetId}`)).body.recordCount, rows, `stopped while ${stopped}; no row lost or doubled`);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('deleting a dataset deletes its batches', async () => {
  const server = await startTestServer();
  try {
    const datasetId = await createDataset(server, 'crm_deleted');
    const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, CSV, { contentType: 'text/csv' })).body.id);
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${datasetId}`)).status, 204);
    assert.equal((await server.api('GET', `/api/v1/batches/${batch.id}`)).status, 404);
  } finally {
    await server.stop();
  }
});

test('metrics count batch rows by outcome and show no active batch once done', async () => {
  const server = await startTestServer();
  try {
    const datasetId = await createDataset(server, 'crm_metrics');
    await waitForBatch(server, (await uploadBatch(server, datasetId, 'loyalty.points\n1\nx\n', { contentType: 'text/csv' })).body.id);
    // The status is stored by the worker; its counters reach the main thread a moment later.
    const expected = [/meridian_batch_rows_total\{outcome="accepted"\} 1\n/, /meridian_batch_rows_total\{outcome="rejected"\} 1\n/, /meridian_batches_active 0\n/];
    let metrics = '';
    for (let attempt = 0; attempt < 100 && !expected.every((e) => e.test(metrics)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    }
    for (const e of expected) assert.match(metrics, e);
  } finally {
    await server.stop();
  }
});
