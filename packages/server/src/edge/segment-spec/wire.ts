/**
 * The Segment HTTP wire: bodies arrive as JSON under any content type (RudderStack sends gzip
 * labelled application/x-www-form-urlencoded), sometimes gzip without saying so; the write key
 * comes as the Basic-auth user name or as `writeKey` in the body.
 *
 * @example
 *   decodeBody(gzipSync('{"batch":[]}'), 5_000_000) // { batch: [] }
 *   writeKeyOf('Basic ' + btoa('wk_abc:'), {})     // 'wk_abc'
 */
import { gunzipSync } from 'node:zlib';
import { problem } from '../../errors.ts';
import { isJsonObject } from '../../storage/json.ts';

function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** The JSON value of a raw body; gzip is recognised by its magic bytes and never expands past `limit`. */
export function decodeBody(body: Buffer, limit: number): unknown {
  let bytes = body;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw problem('PAYLOAD_TOO_LARGE', `the decoded body is larger than ${limit} bytes`);
      }
      throw problem('INVALID_ENCODING', `gzip body cannot be decoded: ${(err as Error).message}`);
    }
  }
  const text = bytes.toString('utf8').trim();
  if (text === '') throw problem('INVALID_JSON', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw problem('INVALID_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
}

/** The write key: Basic auth user name (password ignored), else `writeKey` in the body. */
export function writeKeyOf(authorization: string | undefined, body: unknown): string | undefined {
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    if (user) return user;
  }
  if (isJsonObject(body) && typeof body.writeKey === 'string' && body.writeKey) return body.writeKey;
  return undefined;
}
