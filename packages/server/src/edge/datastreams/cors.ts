/**
 * CORS for the public edge: which browser origins may call a datastream. Origins are compared in
 * their normalized form (`URL.origin`: lower-case host, no default port, no path). The wildcard
 * `*` is honoured only when listed explicitly; since edge calls carry credentials (cookies), the
 * caller's origin is echoed back, never `*`.
 *
 * @example
 *   corsHeaders({ allowedOrigins: ['https://shop.example.com'] }, 'https://shop.example.com')
 *   // { 'access-control-allow-origin': 'https://shop.example.com', 'access-control-allow-credentials': 'true', vary: 'Origin' }
 *   corsHeaders({ allowedOrigins: [] }, 'https://evil.example') // undefined: the browser blocks the answer
 */

/** The normalized origin, or undefined when the text is not an http(s) origin. `*` stays `*`. */
export function normalizeOrigin(text: string): string | undefined {
  if (text === '*') return '*';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // An origin has no path, query, fragment or credentials; `https://a.example/` is accepted as written by habit.
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return undefined;
  return url.origin;
}

export interface PreflightRequest {
  /** `Access-Control-Request-Headers` of the preflight, echoed when present. */
  requestHeaders?: string;
}

/**
 * The response headers that let the browser at `origin` read the answer, or undefined when the
 * origin is not allowed (or the request has no Origin: not a cross-origin browser call).
 * Pass `preflight` for an OPTIONS request to add the method, header and max-age grants.
 */
export function corsHeaders(
  datastream: { allowedOrigins: readonly string[] },
  origin: string | undefined,
  preflight?: PreflightRequest,
): Record<string, string> | undefined {
  if (!origin) return undefined;
  const normalized = normalizeOrigin(origin);
  if (!normalized || normalized === '*') return undefined;
  const allowed = datastream.allowedOrigins.some((o) => o === '*' || o === normalized);
  if (!allowed) return undefined;
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
  if (preflight) {
    headers['access-control-allow-methods'] = 'GET, POST, OPTIONS';
    headers['access-control-allow-headers'] = preflight.requestHeaders?.trim() || 'content-type';
    headers['access-control-max-age'] = '600';
  }
  return headers;
}
