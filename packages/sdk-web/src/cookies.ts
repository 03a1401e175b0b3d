/**
 * First-party cookies: the device-ID cookie the edge hands back in `state:store` handles
 * (`kndctr_<org>_identity`), the saved consent choice, and the cookie entries copied into
 * `meta.state.entries` so an edge on another origin still sees them.
 */
import type { StateStoreEntry } from './types.ts';

/** `kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg` for `53A16ACB5CC1D3760A495C99@AdobeOrg`. */
export function cookiePrefix(orgId: string): string {
  return `kndctr_${orgId.replace(/@/g, '_')}`;
}

function allCookies(): [string, string][] {
  const out: [string, string][] = [];
  for (const part of document.cookie.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const raw = part.slice(at + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // a value that is not percent-encoded stays as written
    }
    out.push([part.slice(0, at).trim(), value]);
  }
  return out;
}

export function readCookie(name: string): string | undefined {
  for (const [key, value] of allCookies()) if (key === name) return value;
  return undefined;
}

/** The cookies whose names start with `prefix`, as `meta.state.entries`. */
export function cookieEntries(prefix: string): { key: string; value: string }[] {
  return allCookies()
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => ({ key, value }));
}

/**
 * Sets a cookie from a `state:store` entry. `SameSite=None` needs `Secure`, which a plain-http
 * page cannot set, so there the cookie falls back to `Lax` (a first-party cookie either way).
 */
export function writeCookie(entry: StateStoreEntry): void {
  const secure = location.protocol === 'https:';
  let sameSite = entry.attrs?.SameSite ?? 'Lax';
  if (sameSite.toLowerCase() === 'none' && !secure) sameSite = 'Lax';
  const value = /^[\w\-.+/=]*$/.test(entry.value) ? entry.value : encodeURIComponent(entry.value);
  let cookie = `${entry.key}=${value}; path=/; SameSite=${sameSite}`;
  if (entry.maxAge !== undefined) cookie += `; max-age=${Math.floor(entry.maxAge)}`;
  if (secure) cookie += '; Secure';
  document.cookie = cookie;
}

/**
 * The ECID inside an identity cookie value: base64url of a protobuf whose field 1 is the ECID
 * (the layout Adobe's Edge uses). Undefined when the value has another shape; the SDK then
 * relies on the `identity:result` handle.
 */
export function ecidFromIdentityCookie(value: string): string | undefined {
  try {
    const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = atob(base64 + '==='.slice((base64.length + 3) % 4));
    if (bytes.charCodeAt(0) !== 0x0a) return undefined;
    let length = 0;
    let shift = 0;
    let i = 1;
    let byte: number;
    do {
      byte = bytes.charCodeAt(i++);
      length |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    const ecid = bytes.slice(i, i + length);
    return ecid.length === length && /^[\x21-\x7e]+$/.test(ecid) ? ecid : undefined;
  } catch {
    return undefined;
  }
}
