/**
 * Batch-file upload for `meridian ingest`: streams a file as the raw body of
 * `POST /api/v1/datasets/{id}/batches?format=...` (never holding it in memory), reporting bytes
 * sent, and reads the batch the server answers with; `waitForBatch` polls it until it is done.
 *
 * @example
 *   const batch = await uploadBatchFile(api, { datasetId, path: 'crm.csv', format: 'csv' }, (sent) => {});
 *   const done = await waitForBatch(api, batch.id, (b) => console.log(b.progress), { intervalMs: 250 });
 */
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.ts';
import { CliError, refused, unreachable } from './cli-error.ts';

export const BATCH_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

const CONTENT_TYPES: Record<BatchFormat, string> = {
  csv: 'text/csv',
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
};

const FORMAT_BY_EXTENSION: Record<string, BatchFormat> = { csv: 'csv', jsonl: 'jsonl', ndjson: 'jsonl', parquet: 'parquet' };

export type BatchStatus = 'loading' | 'processing' | 'success' | 'partial' | 'failed';

/** The batch resource, as `POST .../batches` and `GET /api/v1/batches/{id}` return it. */
export interface Batch {
  id: string;
  status: BatchStatus;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  rowsDuplicate: number;
  /** 0..1 */
  progress: number;
  error?: string;
}

export function isFinished(batch: Batch): boolean {
  return batch.status === 'success' || batch.status === 'partial' || batch.status === 'failed';
}

/** The format named by `--format`, else by the file's extension. */
export function batchFormatOf(path: string, explicit?: string): BatchFormat {
  if (explicit !== undefined) {
    if ((BATCH_FORMATS as readonly string[]).includes(explicit)) return explicit as BatchFormat;
    throw new CliError(`unknown format "${explicit}"; use one of ${BATCH_FORMATS.join(', ')}`);
  }
  const extension = path.toLowerCase().split('.').pop() ?? '';
  const format = FORMAT_BY_EXTENSION[extension];
  if (!format) throw new CliError(`cannot tell the format of ${path} from its extension; pass --format ${BATCH_FORMATS.join('|')}`);
  return format;
}

export function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new CliError(`${path} is not a file`);
    return stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface UploadRequest {
  datasetId: string;
  path: string;
  format: BatchFormat;
  /** Extra query parameters (e.g. the field mapping). */
  query?: Record<string, string>;
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function parseJson(text: string, contentType: string | undefined): unknown {
  if (!text || !(contentType ?? '').includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Streams the file to the server; resolves with the batch of the 202 answer. */
export function uploadBatchFile(api: ApiClient, upload: UploadRequest, onBytesSent: (bytes: number) => void): Promise<Batch> {
  const size = fileSize(upload.path);
  const query = new URLSearchParams({ format: upload.format, ...upload.query });
  const url = new URL(`${api.connection.url}/api/v1/datasets/${encodeURIComponent(upload.datasetId)}/batches?${query.toString()}`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Batch>((resolve, reject) => {
    let answered = false;
    const file = createReadStream(upload.path);
    const request = send(url, {
      method: 'POST',
      headers: api.headers({ 'content-type': CONTENT_TYPES[upload.format], 'content-length': String(size) }),
    });
    let sent = 0;
    file.on('data', (chunk) => {
      sent += chunk.length;
      onBytesSent(sent);
    });
    file.on('error', (error) => {
      request.destroy();
      reject(new CliError(`cannot read ${upload.path}: ${error.message}`));
    });
    request.on('response', (response) => {
      answered = true;
      // The server may answer (e.g. 404, 413) before it has read the whole file: stop sending,
      // and drop the connection once the answer is read, since its request body is unfinished.
      const cutShort = !file.readableEnded;
      if (cutShort) file.destroy();
      readAll(response).then((text) => {
        if (cutShort) request.destroy();
        const body = parseJson(text, response.headers['content-type']);
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(body as Batch);
        else reject(refused(status, body));
      }, reject);
    });
    request.on('error', (error) => {
      if (!answered) reject(unreachable(api.connection.url, error));
    });
    file.pipe(request);
  });
}

/** Polls the batch until it has finished (or `timeoutMs` has passed), telling `onUpdate` about each state seen. */
export async function waitForBatch(
  api: ApiClient,
  batchId: string,
  onUpdate: (batch: Batch) => void,
  { intervalMs = 250, timeoutMs = Number.POSITIVE_INFINITY } = {},
): Promise<Batch> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const batch = await api.get<Batch>(`/api/v1/batches/${encodeURIComponent(batchId)}`);
    onUpdate(batch);
    if (isFinished(batch)) return batch;
    if (performance.now() > deadline) throw new CliError(`batch ${batchId} is still ${batch.status} after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}
