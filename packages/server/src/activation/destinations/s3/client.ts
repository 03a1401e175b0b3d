/**
 * Putting files into S3-compatible object storage (AWS S3, MinIO, …) with one signed PUT each
 * (AWS Signature Version 4, the body's SHA-256 signed too, so the store checks what it got). An
 * object appears whole or not at all, so no temporary name is needed. One PUT takes at most 5 GiB
 * (S3's limit); larger files are refused (keep them under it with `maxRowsPerFile`).
 * Failures are classified: 5xx, 429, S3's `RequestTimeout`/`SlowDown`, timeouts and network errors
 * retry; other 4xx (bad credentials, missing bucket, denied) are permanent.
 *
 * @example
 *   await putFile(target, 'exports/a.csv', '/tmp/a.csv');
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { classifyStatus, classifyThrown, DeliveryError } from '../types.ts';
import { amzDate, signRequest, uriEncode } from './sigv4.ts';

/** S3's largest single PUT. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
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

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
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

function classifyAnswer(status: number, body: string, retryAfter: string | undefined, key: string): DeliveryError | undefined {
  const { code, message } = s3ErrorCode(body);
  const failure = classifyStatus(status, code ? `${code}${message ? `: ${message}` : ''}` : body, retryAfter);
  if (!failure) return undefined;
  // S3 answers 400 RequestTimeout when the upload stalled: worth another try.
  const retryable = failure.retryable || code === 'RequestTimeout' || code === 'SlowDown';
  return new DeliveryError(`S3 PUT ${key}: ${failure.message}`, retryable, status, failure.retryAfterSeconds);
}

/** PUTs one local file as `key`; returns its `s3://bucket/key` location. */
export async function putFile(target: S3Target, key: string, localPath: string, contentType: string): Promise<string> {
  const { size } = await stat(localPath);
  if (size > MAX_PUT_BYTES) throw new DeliveryError(`${key} is ${size} bytes; one S3 PUT takes at most 5 GiB: lower maxRowsPerFile`, false);
  const payloadHash = await sha256File(localPath);
  const url = objectUrl(target, key);
  const signedPath = target.forcePathStyle ? `/${target.bucket}/${key}` : `/${key}`;
  const headers: Record<string, string> = {
    host: url.host,
    'content-length': String(size),
    'content-type': contentType,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate(new Date()),
    ...(target.sessionToken ? { 'x-amz-security-token': target.sessionToken } : {}),
  };
  const { authorization } = signRequest({ method: 'PUT', path: signedPath, query: {}, headers, payloadHash, region: target.region, service: 's3', accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey });
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  try {
    const answer = await new Promise<{ status: number; body: string; retryAfter?: string }>((resolve, reject) => {
      const req = send(
        { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, method: 'PUT', path: uriEncode(signedPath, true), headers: { ...headers, authorization } },
        (response) => {
          readBody(response).then((body) => resolve({ status: response.statusCode ?? 0, body, ...(typeof response.headers['retry-after'] === 'string' ? { retryAfter: response.headers['retry-after'] } : {}) }), reject);
        },
      );
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no progress in ${IDLE_TIMEOUT_MS} ms`), { name: 'TimeoutError' })));
      req.on('error', reject);
      pipeline(createReadStream(localPath), req).catch(reject);
    });
    const failure = classifyAnswer(answer.status, answer.body, answer.retryAfter, key);
    if (failure) throw failure;
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const e = err as Error & { code?: string };
    if (e.code) throw new DeliveryError(`S3 ${url.host} network error: ${e.code}`, true);
    throw classifyThrown(err);
  }
  return `s3://${target.bucket}/${key}`;
}
