/**
 * Test support: a local S3-compatible server (path-style) that VERIFIES each request's Signature
 * Version 4 by recomputing it from the request as received and the secret it knows, checks the
 * body against the signed `x-amz-content-sha256`, and stores objects in memory. Scripted answers
 * (e.g. 503 SlowDown) come before verification, like a throttling front end.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { signRequest } from './sigv4.ts';

export interface StoredObject {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

export interface FakeS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `<bucket>/<key>` → object. */
  objects: Map<string, StoredObject>;
  /** Every request's outcome: status and S3 error code. */
  log: { method: string; path: string; status: number; code?: string }[];
  /** The next `count` requests get `status` with S3 error `code`. */
  failNext(count: number, status: number, code: string): void;
  close(): Promise<void>;
}

function xmlError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

export async function fakeS3(buckets: readonly string[]): Promise<FakeS3> {
  const accessKeyId = 'AKIAMERIDIANTEST0001';
  const secretAccessKey = 'meridian/test+secret/0123456789abcdefghij';
  const objects = new Map<string, StoredObject>();
  const log: FakeS3['log'] = [];
  let scripted: { count: number; status: number; code: string } | undefined;

  function verify(method: string, rawPath: string, headers: IncomingHttpHeaders, body: Buffer): { status: number; code: string; message: string } | undefined {
    const auth = headers.authorization ?? '';
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$/.exec(auth);
    if (!match) return { status: 403, code: 'AccessDenied', message: 'missing or malformed SigV4 authorization' };
    const [, keyId, day, region, signedHeaders, signature] = match;
    if (keyId !== accessKeyId) return { status: 403, code: 'InvalidAccessKeyId', message: 'unknown access key' };
    const date = String(headers['x-amz-date'] ?? '');
    if (!date.startsWith(day)) return { status: 403, code: 'SignatureDoesNotMatch', message: 'scope date differs from x-amz-date' };
    const at = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    if (!(Math.abs(Date.now() - at) < 15 * 60_000)) return { status: 403, code: 'RequestTimeTooSkewed', message: 'x-amz-date too far from now' };
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('x-amz-content-sha256') || !names.includes('x-amz-date')) return { status: 403, code: 'AccessDenied', message: 'host, x-amz-content-sha256 and x-amz-date must be signed' };
    const signed: Record<string, string> = {};
    for (const name of names) signed[name] = String(headers[name] ?? '');
    const payloadHash = String(headers['x-amz-content-sha256']);
    const expected = signRequest({ method, path: decodeURIComponent(rawPath), query: {}, headers: signed, payloadHash, region, service: 's3', accessKeyId, secretAccessKey });
    if (expected.signature !== signature) return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided' };
    if (createHash('sha256').update(body).digest('hex') !== payloadHash) return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'body does not match x-amz-content-sha256' };
    return undefined;
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rawPath = (req.url ?? '/').split('?')[0];
      const answer = (status: number, code?: string, message = '') => {
        log.push({ method: req.method ?? '', path: rawPath, status, ...(code ? { code } : {}) });
        res.writeHead(status, code ? { 'content-type': 'application/xml' } : { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        res.end(code ? xmlError(code, message) : '');
      };
      if (scripted && scripted.count > 0) {
        scripted.count--;
        return answer(scripted.status, scripted.code, 'scripted failure');
      }
      const failure = verify(req.method ?? '', rawPath, req.headers, body);
      if (failure) return answer(failure.status, failure.code, failure.message);
      const [, bucket, ...key] = decodeURIComponent(rawPath).split('/');
      if (!buckets.includes(bucket)) return answer(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method !== 'PUT' || key.length === 0) return answer(405, 'MethodNotAllowed', 'only PUT object');
      if (Number(req.headers['content-length']) !== body.length) return answer(400, 'IncompleteBody', 'content-length differs from the body');
      objects.set(`${bucket}/${key.join('/')}`, { body, headers: req.headers });
      answer(200);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    objects,
    log,
    failNext(count, status, code) {
      scripted = { count, status, code };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
