/**
 * Test support: a local S3-compatible server (path-style) that VERIFIES each request's Signature
 * Version 4 by recomputing it from the request as received (path and query) and the secret it
 * knows, checks the body against the signed `x-amz-content-sha256`, and stores objects in memory.
 * Multipart uploads as S3 does them: create (`POST ?uploads`), parts (`PUT ?partNumber&uploadId`,
 * answered with the part's ETag), complete (`POST ?uploadId` with the parts' numbers and ETags in
 * order, every part but the last at least 5 MiB) and abort (`DELETE ?uploadId`). Scripted answers
 * (e.g. 503 SlowDown) come before verification, like a throttling front end.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { signRequest } from './sigv4.ts';

export interface StoredObject {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

interface Upload {
  bucket: string;
  key: string;
  headers: IncomingHttpHeaders;
  parts: Map<number, { body: Buffer; etag: string }>;
}

export interface FakeS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `<bucket>/<key>` → object. */
  objects: Map<string, StoredObject>;
  /** Multipart uploads started and neither completed nor aborted, by upload id. */
  uploads: Map<string, Upload>;
  /** Every request's outcome: method, path, query, status and S3 error code. */
  log: { method: string; path: string; query: string; status: number; code?: string }[];
  /** The next `count` requests (or those whose `METHOD ?query` matches `only`) get `status` with S3 error `code`. */
  failNext(count: number, status: number, code: string, only?: RegExp): void;
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
  const uploads = new Map<string, Upload>();
  let nextUpload = 1;
  let scripted: { count: number; status: number; code: string; only?: RegExp } | undefined;

  function verify(method: string, rawPath: string, query: Record<string, string>, headers: IncomingHttpHeaders, body: Buffer): { status: number; code: string; message: string } | undefined {
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
    const expected = signRequest({ method, path: decodeURIComponent(rawPath), query, headers: signed, payloadHash, region, service: 's3', accessKeyId, secretAccessKey });
    if (expected.signature !== signature) return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided' };
    if (createHash('sha256').update(body).digest('hex') !== payloadHash) return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'body does not match x-amz-content-sha256' };
    return undefined;
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const [rawPath, search = ''] = (req.url ?? '/').split('?');
      const query = Object.fromEntries(new URLSearchParams(search));
      const method = req.method ?? '';
      const answer = (status: number, code?: string, message = '', xml = '', etag = `"${createHash('md5').update(body).digest('hex')}"`) => {
        log.push({ method, path: rawPath, query: search, status, ...(code ? { code } : {}) });
        res.writeHead(status, code || xml ? { 'content-type': 'application/xml' } : { etag });
        res.end(code ? xmlError(code, message) : xml);
      };
      if (scripted && scripted.count > 0 && (!scripted.only || scripted.only.test(`${method} ?${search}`))) {
        scripted.count--;
        return answer(scripted.status, scripted.code, 'scripted failure');
      }
      const failure = verify(method, rawPath, query, req.headers, body);
      if (failure) return answer(failure.status, failure.code, failure.message);
      const [, bucket, ...path] = decodeURIComponent(rawPath).split('/');
      const key = path.join('/');
      if (!buckets.includes(bucket)) return answer(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (key === '') return answer(405, 'MethodNotAllowed', 'object requests only');
      if (Number(req.headers['content-length'] ?? 0) !== body.length) return answer(400, 'IncompleteBody', 'content-length differs from the body');
      if (method === 'POST' && 'uploads' in query) {
        const uploadId = `upload-${nextUpload++}`;
        uploads.set(uploadId, { bucket, key, headers: req.headers, parts: new Map() });
        return answer(200, undefined, '', `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
      }
      if ('uploadId' in query) {
        const upload = uploads.get(query.uploadId);
        if (!upload || upload.bucket !== bucket || upload.key !== key) return answer(404, 'NoSuchUpload', 'The specified upload does not exist');
        if (method === 'PUT') {
          const part = Number(query.partNumber);
          if (!Number.isInteger(part) || part < 1 || part > 10_000) return answer(400, 'InvalidArgument', 'partNumber must be 1 to 10000');
          const etag = `"${createHash('md5').update(body).digest('hex')}"`;
          upload.parts.set(part, { body, etag });
          return answer(200, undefined, '', '', etag);
        }
        if (method === 'DELETE') {
          uploads.delete(query.uploadId);
          return answer(204);
        }
        if (method === 'POST') {
          const listed = [...body.toString('utf8').matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]+)<\/ETag><\/Part>/g)].map((m) => ({ part: Number(m[1]), etag: m[2] }));
          if (listed.length === 0) return answer(400, 'MalformedXML', 'no parts listed');
          const pieces: Buffer[] = [];
          for (let i = 0; i < listed.length; i++) {
            const { part, etag } = listed[i];
            if (i > 0 && part <= listed[i - 1].part) return answer(400, 'InvalidPartOrder', 'parts must be listed in ascending order');
            const stored = upload.parts.get(part);
            if (!stored || stored.etag !== etag) return answer(400, 'InvalidPart', `part ${part} was not uploaded or its ETag differs`);
            if (i < listed.length - 1 && stored.body.length < 5 * 1024 * 1024) return answer(400, 'EntityTooSmall', `part ${part} is smaller than 5 MiB`);
            pieces.push(stored.body);
          }
          uploads.delete(query.uploadId);
          objects.set(`${bucket}/${key}`, { body: Buffer.concat(pieces), headers: upload.headers });
          return answer(200, undefined, '', `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"multipart-${listed.length}"</ETag></CompleteMultipartUploadResult>`);
        }
      }
      if (method !== 'PUT') return answer(405, 'MethodNotAllowed', 'PUT object and multipart uploads only');
      objects.set(`${bucket}/${key}`, { body, headers: req.headers });
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
    uploads,
    log,
    failNext(count, status, code, only) {
      scripted = { count, status, code, ...(only ? { only } : {}) };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
