/**
 * AWS Signature Version 4 for S3 requests, with node:crypto only: the canonical request (method,
 * URI-encoded path, sorted query, lower-cased trimmed headers, payload SHA-256), the string to
 * sign over the credential scope `<yyyymmdd>/<region>/s3/aws4_request`, and the derived signing
 * key chain. Pure. Checked against AWS's published S3 example (see `sigv4.test.ts`).
 *
 * @example
 *   const { authorization } = signRequest({ method: 'PUT', path: '/bucket/key.csv', query: {}, headers: { host, 'x-amz-date': amzDate(now), 'x-amz-content-sha256': hash }, payloadHash: hash, region: 'us-east-1', service: 's3', accessKeyId, secretAccessKey });
 */
import { createHash, createHmac } from 'node:crypto';

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignInput {
  method: string;
  /** The request path, not yet encoded (`/bucket/folder/file name.csv`). */
  path: string;
  query: Record<string, string>;
  /** Headers to sign (host and x-amz-* at least); names in any case. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`). */
  payloadHash: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** `yyyymmddThhmmssZ`, the x-amz-date format. */
export function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function canonicalRequest(input: Pick<SignInput, 'method' | 'path' | 'query' | 'headers' | 'payloadHash'>): { text: string; signedHeaders: string } {
  const headers = Object.entries(input.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(';');
  const query = Object.entries(input.query)
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const text = [input.method, uriEncode(input.path, true), query, headers.map(([n, v]) => `${n}:${v}\n`).join(''), signedHeaders, input.payloadHash].join('\n');
  return { text, signedHeaders };
}

/** The `authorization` header value (and its parts) for a request. `x-amz-date` must be among the headers. */
export function signRequest(input: SignInput): { authorization: string; signature: string; signedHeaders: string } {
  const date = Object.entries(input.headers).find(([n]) => n.toLowerCase() === 'x-amz-date')?.[1];
  if (!date || !/^\d{8}T\d{6}Z$/.test(date)) throw new Error('x-amz-date (yyyymmddThhmmssZ) must be signed');
  const day = date.slice(0, 8);
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const { text, signedHeaders } = canonicalRequest(input);
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(text, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, day), input.region), input.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return { authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`, signature, signedHeaders };
}
