/**
 * The Edge Network's identity cookie and ECIDs. `kndctr_<org>_identity` holds base64url of a
 * protobuf message whose field 1 (length-delimited) is the ECID; alloy decodes exactly that field
 * (see docs/edge.md). An ECID is 38 decimal digits.
 *
 * @example
 *   const ecid = mintEcid();                      // '0364…' (38 digits)
 *   decodeIdentityCookie(encodeIdentityCookie(ecid)) === ecid; // true
 */
import { randomBytes } from 'node:crypto';

const ECID_PATTERN = /^[0-9]{38}$/;

export function isEcid(value: unknown): value is string {
  return typeof value === 'string' && ECID_PATTERN.test(value);
}

/** A new random ECID: 38 decimal digits (about 126 bits of randomness). */
export function mintEcid(): string {
  const bytes = randomBytes(38);
  let out = '';
  for (let i = 0; i < 38; i++) out += String(bytes[i] % 10);
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** The cookie value for an ECID: base64url (no padding) of `{ 1: ecid, 2: createdSeconds }`. */
export function encodeIdentityCookie(ecid: string, createdAtMs = Date.now()): string {
  const id = Buffer.from(ecid, 'utf8');
  const bytes = [0x0a, ...varint(id.length), ...id, 0x10, ...varint(Math.floor(createdAtMs / 1000))];
  return Buffer.from(bytes).toString('base64url');
}

function readVarint(buffer: Buffer, offset: number): { value: number; length: number } | undefined {
  let value = 0;
  let length = 0;
  let byte: number;
  do {
    if (offset + length >= buffer.length || length >= 10) return undefined;
    byte = buffer[offset + length];
    value += (byte & 0x7f) * 2 ** (7 * length);
    length++;
  } while (byte & 0x80);
  return { value, length };
}

/** The ECID in a cookie value (base64 or base64url, maybe URI-encoded), or undefined when there is none. */
export function decodeIdentityCookie(value: string): string | undefined {
  let buffer: Buffer;
  try {
    buffer = Buffer.from(decodeURIComponent(value).replace(/_/g, '/').replace(/-/g, '+'), 'base64');
  } catch {
    return undefined;
  }
  let offset = 0;
  while (offset < buffer.length) {
    const tag = readVarint(buffer, offset);
    if (!tag) return undefined;
    offset += tag.length;
    const wire = tag.value & 7;
    const field = Math.floor(tag.value / 8);
    if (wire === 0) {
      const v = readVarint(buffer, offset);
      if (!v) return undefined;
      offset += v.length;
    } else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else if (wire === 2) {
      const len = readVarint(buffer, offset);
      if (!len) return undefined;
      offset += len.length;
      if (offset + len.value > buffer.length) return undefined;
      if (field === 1) {
        const ecid = buffer.subarray(offset, offset + len.value).toString('utf8');
        return isEcid(ecid) ? ecid : undefined;
      }
      offset += len.value;
    } else if (wire !== 3 && wire !== 4) return undefined;
  }
  return undefined;
}

/** Parses a `Cookie` header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}
