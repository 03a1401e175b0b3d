/**
 * Sending to HTTP destinations: one request, the engine's abort signal, and the answer classified
 * (2xx ok, 408/429/5xx retryable, other 4xx permanent; network failures and timeouts retryable).
 *
 * @example
 *   await sendHttp({ url, method: 'POST', headers, body: JSON.stringify(payload), signal });
 */
import { classifyStatus, classifyThrown } from './types.ts';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export async function sendHttp(request: HttpRequest): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal });
  } catch (err) {
    throw classifyThrown(err);
  }
  let text = '';
  try {
    text = await response.text();
  } catch (err) {
    throw classifyThrown(err);
  }
  const failure = classifyStatus(response.status, text, response.headers.get('retry-after'));
  if (failure) throw failure;
}

/** Basic or bearer authorization header value. */
export function authorization(auth: { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string } | undefined): Record<string, string> {
  if (!auth) return {};
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

/** An `http:` or `https:` URL, or the reason it is not one. */
export function httpUrlIssue(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be an http or https URL';
  } catch {
    return 'is not a valid URL';
  }
}
