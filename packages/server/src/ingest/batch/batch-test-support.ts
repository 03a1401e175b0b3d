/* eslint-disable @typescript-eslint/no-explicit-any -- test support: responses are asserted field by field */
/**
 * Test support for batch ingestion: upload a file body to a running test server and wait for the
 * batch to settle. Used by the batch test files only.
 *
 * @example
 *   const upload = await uploadBatch(server, datasetId, 'a,b\n1,2\n', { contentType: 'text/csv' });
 *   const batch = await waitForBatch(server, upload.body.id); // { status: 'success', ... }
 */
import type { TestServer, ApiResponse } from '../../testing/harness.ts';
import { TEST_ADMIN_KEY } from '../../testing/harness.ts';

export interface UploadOptions {
  contentType?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export async function uploadBatch(server: TestServer, datasetId: string, body: string | Buffer, options: UploadOptions = {}): Promise<ApiResponse> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(options.headers ?? {}) };
  if (options.contentType) headers['content-type'] = options.contentType;
  const res = await fetch(`${server.url}/api/v1/datasets/${datasetId}/batches${query ? `?${query}` : ''}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

/** Polls the batch until it is success, partial or failed. */
export async function waitForBatch(server: TestServer, batchId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.api('GET', `/api/v1/batches/${batchId}`);
    if (res.status !== 200) throw new Error(`GET batch ${batchId}: ${res.status} ${JSON.stringify(res.body)}`);
    if (['success', 'partial', 'failed'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function createDataset(server: TestServer, name: string, schemaId = 'profile', profileEnabled = true): Promise<string> {
  const res = await server.api('POST', '/api/v1/datasets', { name, schemaId, profileEnabled });
  if (res.status !== 201) throw new Error(`create dataset: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Every record of a dataset from one batch, keyed by `_id`. */
export async function recordsOfBatch(server: TestServer, datasetId: string, batchId: string): Promise<Map<string, any>> {
  const res = await server.api('GET', `/api/v1/datasets/${datasetId}/records?limit=1000&batchId=${batchId}`);
  return new Map((res.body.items as any[]).map((r) => [r._id, r]));
}
