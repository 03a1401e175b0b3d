/**
 * Putting files into S3-compatible object storage (AWS S3, MinIO, …), signed with AWS Signature
 * Version 4 (the body's SHA-256 signed too, so the store checks what it got). A file up to one
 * part's size (`partBytes`, 64 MiB by default) goes in one PUT; a larger one in a multipart upload:
 * parts of that size (larger when needed to stay within S3's 10,000 parts), each retried on its
 * own, then completed in order. An object appears whole or not at all either way, so no temporary
 * name is needed; a multipart upload that fails is aborted, so no parts are left billed in the
 * bucket. Objects up to 5 TiB (S3's limit).
 * Failures are classified: 5xx, 429, S3's `RequestTimeout`/`SlowDown`/`InternalError`, timeouts
 * and network errors retry; other 4xx (bad credentials, missing bucket, denied) are permanent.
 *
 * @example
 *   await putFile(target, 'exports/a.csv', '/tmp/a.csv', 'text/csv');
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyStatus, classifyThrown, DeliveryError } from '../types.ts';
import { amzDate, EMPTY_SHA256, signRequest, uriEncode } from './sigv4.ts';

/** S3's largest single PUT, and largest part. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** S3's smallest part (every part but the last). */
export const MIN_PART_BYTES = 5 * 1024 ** 2;
/** S3's most parts in one upload. */
export const MAX_PARTS = 10_000;
/** S3's largest object. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** Files up to this size go in one PUT, larger ones in parts of this size. */
export const DEFAULT_PART_BYTES = 64 * 1024 ** 2;
/** Attempts at one part before the upload fails (and is retried whole by the delivery engine). */
const PART_ATTEMPTS = 3;
/** A PUT that makes no progress for this long is abandoned (and retried). */
const IDLE_TIMEOUT_MS = 30_000;

export interface S3Target {
  bucket: string;
  region: string;
  /** Origin of the service, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`. */
  endpoint: string;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint host>/<key>` (MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Size of one part of a multipart upload (and the largest file sent in one PUT); default 64 MiB. */
  partBytes?: number;
}

/** The URL and the path that is signed for an object key. */
export function objectUrl(target: Pick<S3Target, 'bucket' | 'endpoint' | 'forcePathStyle'>, key: string): URL {
  const endpoint = new URL(target.endpoint);
  const path = target.forcePathStyle ? `/${target.bucket}/${key}` : `/${key}`;
  const host = target.forcePathStyle ? endpoint.host : `${target.bucket}.${endpoint.host}`;
  const url = new URL(`${endpoint.protocol}//${host}`);
  url.pathname = path; // URL applies its own escaping; the request sends the SigV4-encoded path below
  return url;
}

async function sha256File(path: string, start = 0, end?: number): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, end === undefined ? { start } : { start, end: end - 1 }), hash);
  return hash.digest('hex');
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (c: Buffer) => chunks.push(c));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

/** S3's XML error `<Code>` and `<Message>`, when present. */
export function s3ErrorCode(body: string): { code?: string; message?: string } {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

function classifyAnswer(what: string, status: number, body: string, retryAfter: string | undefined): DeliveryError | undefined {
  const { code, message } = s3ErrorCode(body);
  const failure = classifyStatus(status, code ? `${code}${message ? `: ${message}` : ''}` : body, retryAfter);
  if (!failure) return undefined;
  // S3 answers 400 RequestTimeout when the upload stalled: worth another try.
  const retryable = failure.retryable || code === 'RequestTimeout' || code === 'SlowDown';
  return new DeliveryError(`${what}: ${failure.message}`, retryable, status, failure.retryAfterSeconds);
}

/** What one signed request sends: a buffer, or a byte range of a local file with its SHA-256 (hashed beforehand, by streaming it). */
type Body = { bytes: Buffer } | { file: string; start: number; end: number; sha256: string };

/** One signed request for an object key; `what` names it in errors. */
interface S3Call {
  what: string;
  method: 'PUT' | 'POST' | 'DELETE';
  key: string;
  query?: Record<string, string>;
  body?: Body;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  body: string;
  etag?: string;
}

/** Sends one signed request; a failed answer is thrown as a classified `DeliveryError` named by `what`. */
async function s3Request(target: S3Target, { what, method, key, query = {}, body, headers: extraHeaders = {} }: S3Call): Promise<Answer> {
  const url = objectUrl(target, key);
  const payloadHash = body === undefined ? EMPTY_SHA256 : 'bytes' in body ? createHash('sha256').update(body.bytes).digest('hex') : body.sha256;
  const signedPath = target.forcePathStyle ? `/${target.bucket}/${key}` : `/${key}`;
  const length = body === undefined ? 0 : 'bytes' in body ? body.bytes.length : body.end - body.start;
  const headers: Record<string, string> = {
    host: url.host,
    'content-length': String(length),
    ...extraHeaders,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate(new Date()),
    ...(target.sessionToken ? { 'x-amz-security-token': target.sessionToken } : {}),
  };
  const { authorization } = signRequest({ method, path: signedPath, query, headers, payloadHash, region: target.region, service: 's3', accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey });
  const search = Object.entries(query)
    .map(([k, v]) => (v === '' ? uriEncode(k, false) : `${uriEncode(k, false)}=${uriEncode(v, false)}`))
    .join('&');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let answer: Answer & { retryAfter?: string };
  try {
    answer = await new Promise((resolve, reject) => {
      const req = send(
        { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, method, path: uriEncode(signedPath, true) + (search ? `?${search}` : ''), headers: { ...headers, authorization } },
        (response) => {
          const { etag } = response.headers;
          const retryAfter = response.headers['retry-after'];
          readBody(response).then(
            (text) => resolve({ status: response.statusCode ?? 0, body: text, ...(typeof etag === 'string' ? { etag } : {}), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) }),
            reject,
          );
        },
      );
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no progress in ${IDLE_TIMEOUT_MS} ms`), { name: 'TimeoutError' })));
      req.on('error', reject);
      if (body === undefined || length === 0) req.end();
      else if ('bytes' in body) req.end(body.bytes);
      else pipeline(createReadStream(body.file, { start: body.start, end: body.end - 1 }), req).catch(reject);
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code) throw new DeliveryError(`S3 ${url.host} network error: ${e.code}`, true);
    throw classifyThrown(err);
  }
  const failure = classifyAnswer(what, answer.status, answer.body, answer.retryAfter);
  if (failure) throw failure;
  return answer;
}

/**
 * The part size for a file: the target's, raised to stay within 10,000 parts. A file not larger
 * than it goes in one PUT. Throws (permanently) past S3's largest object.
 */
export function partSizeFor(size: number, partBytes = DEFAULT_PART_BYTES): number {
  if (size > MAX_OBJECT_BYTES) throw new DeliveryError(`a file of ${size} bytes is larger than S3's largest object (5 TiB): lower maxRowsPerFile`, false);
  const wanted = Math.min(MAX_PUT_BYTES, Math.max(MIN_PART_BYTES, partBytes));
  return Math.max(wanted, Math.ceil(size / MAX_PARTS));
}

/** PUTs one local file as `key` (in parts when larger than one part); returns its `s3://bucket/key` location. */
export async function putFile(target: S3Target, key: string, localPath: string, contentType: string): Promise<string> {
  const { size } = await stat(localPath);
  const partBytes = partSizeFor(size, target.partBytes);
  if (size <= partBytes) {
    const sha256 = await sha256File(localPath);
    await s3Request(target, { what: `S3 PUT ${key}`, method: 'PUT', key, body: { file: localPath, start: 0, end: size, sha256 }, headers: { 'content-type': contentType } });
  } else {
    await putInParts(target, key, localPath, size, partBytes, contentType);
  }
  return `s3://${target.bucket}/${key}`;
}

async function putInParts(target: S3Target, key: string, localPath: string, size: number, partBytes: number, contentType: string): Promise<void> {
  const created = await s3Request(target, { what: `S3 multipart upload of ${key}`, method: 'POST', key, query: { uploads: '' }, headers: { 'content-type': contentType } });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1];
  if (!uploadId) throw new DeliveryError(`S3 multipart upload of ${key}: the answer named no UploadId`, true);
  try {
    const etags: string[] = [];
    for (let start = 0, part = 1; start < size; start += partBytes, part++) {
      const end = Math.min(size, start + partBytes);
      const body = { file: localPath, start, end, sha256: await sha256File(localPath, start, end) };
      const answer = await withRetries(() => s3Request(target, { what: `S3 PUT ${key} part ${part}`, method: 'PUT', key, query: { partNumber: String(part), uploadId }, body }));
      if (!answer.etag) throw new DeliveryError(`S3 PUT ${key} part ${part}: the answer carried no ETag`, true);
      etags.push(answer.etag);
    }
    const xml = Buffer.from(
      `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`,
      'utf8',
    );
    const completed = await s3Request(target, { what: `S3 completing ${key}`, method: 'POST', key, query: { uploadId }, body: { bytes: xml }, headers: { 'content-type': 'application/xml' } });
    // S3 may answer 200 and still fail the completion, with an <Error> document as the body.
    const { code, message } = s3ErrorCode(completed.body);
    if (code) throw new DeliveryError(`S3 completing ${key}: ${code}${message ? `: ${message}` : ''}`, code === 'InternalError' || code === 'SlowDown');
  } catch (err) {
    // Parts left behind are stored (and billed) until aborted.
    await s3Request(target, { what: `S3 aborting the upload of ${key}`, method: 'DELETE', key, query: { uploadId } }).catch(() => undefined);
    throw err;
  }
}

/** A part's own retries: a retryable failure is tried again (after its Retry-After, or 0.2, 0.4 s). */
async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof DeliveryError) || !err.retryable || i >= PART_ATTEMPTS) throw err;
      await sleep(Math.min(5_000, err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 200 * 2 ** (i - 1)));
    }
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
