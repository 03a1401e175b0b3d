/**
 * The wire: `POST {edgeUrl}/{edgeBasePath}/v1/{interact|collect|identity/acquire}?configId=…&requestId=…`
 * with a `text/plain` JSON body (no CORS preflight) and cookies included; `collect` by
 * `navigator.sendBeacon` when the page is going away.
 */
import type { InteractResponse } from './types.ts';
import { uuid } from './context.ts';

export type EdgeAction = 'interact' | 'collect' | 'identity/acquire' | 'privacy/set-consent';

export interface Endpoint {
  edgeUrl: string;
  edgeBasePath: string;
  configId: string;
}

export function edgeAddress(endpoint: Endpoint, action: EdgeAction): string {
  const base = endpoint.edgeUrl.replace(/\/+$/, '');
  const path = endpoint.edgeBasePath.replace(/^\/+|\/+$/g, '');
  return `${base}/${path}/v1/${action}?configId=${encodeURIComponent(endpoint.configId)}&requestId=${uuid()}`;
}

export class EdgeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'EdgeError';
  }
}

/** Posts a request and parses the answer; rejects on a network error, a timeout or a non-2xx status. */
export async function postToEdge(endpoint: Endpoint, action: EdgeAction, body: unknown, timeoutMs: number): Promise<InteractResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(edgeAddress(endpoint, action), {
      method: 'POST',
      body: JSON.stringify(body),
      credentials: 'include',
      keepalive: true,
      signal: controller.signal,
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const detail = typeof parsed === 'object' && parsed && 'detail' in parsed ? `: ${String((parsed as { detail: unknown }).detail)}` : '';
      throw new EdgeError(`edge answered ${response.status}${detail}`, response.status, parsed);
    }
    return typeof parsed === 'object' && parsed !== null ? (parsed as InteractResponse) : {};
  } catch (error) {
    if (controller.signal.aborted) throw new EdgeError(`edge did not answer within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `body` to `/collect` in a way that survives the page unloading; true when queued. */
export function beaconToEdge(endpoint: Endpoint, body: unknown): boolean {
  const url = edgeAddress(endpoint, 'collect');
  const payload = JSON.stringify(body);
  // A string body goes as text/plain;charset=UTF-8: no CORS preflight, which a beacon cannot make.
  if (typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(url, payload)) return true;
  fetch(url, { method: 'POST', body: payload, credentials: 'include', keepalive: true }).catch(() => undefined);
  return true;
}
