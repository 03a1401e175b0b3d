/**
 * Sending to HTTP destinations: one request, the engine's abort signal, and the answer classified
 * (2xx ok, 408/429/5xx retryable, other 4xx permanent; network failures and timeouts retryable).
 *
 * Requests go through `node:http`/`node:https` with keep-alive agents, not `fetch`: a POST of 25
 * members to a local receiver cost 380–440 µs of CPU with `fetch` on Node 20 against 83–125 µs
 * this way (4,000 requests, 4 at a time, server in another process), and delivery runs on the
 * event loop beside ingestion and streaming audiences.
 *
 * @example
 *   await sendHttp({ url, method: 'POST', headers, body: JSON.stringify(payload), signal });
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { classifyStatus, classifyThrown } from './types.ts';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** What came back: the status, the body as text and the response's headers. */
export interface HttpAnswer {
  status: number;
  text: string;
  header(name: string): string | undefined;
}

/** Connections stay open between batches (one queue per activation sends one request at a time). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** One request and its whole answer; network failures, aborts and unreadable URLs reject. */
export function exchange(request: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (err) {
      reject(err);
      return;
    }
    const secure = url.protocol === 'https:';
    const body = Buffer.from(request.body);
    const headers: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(request.headers)) if (name.toLowerCase() !== 'content-length') headers[name] = value;
    headers['content-length'] = body.length;
    const req = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: secure ? agents.https : agents.http, signal: request.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          header: (name) => {
            const value = res.headers[name.toLowerCase()];
            return Array.isArray(value) ? value.join(', ') : value;
          },
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function sendHttp(request: HttpRequest): Promise<void> {
  let answer: HttpAnswer;
  try {
    answer = await exchange(request);
  } catch (err) {
    throw classifyThrown(err);
  }
  const failure = classifyStatus(answer.status, answer.text, answer.header('retry-after') ?? null);
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
