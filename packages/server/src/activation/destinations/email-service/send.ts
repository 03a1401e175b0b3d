/**
 * JSON POSTs to contact-list APIs (email and SMS services), with the answer classified like every
 * HTTP destination (2xx ok; 408/429/5xx retried; other 4xx permanent; network failures and timeouts
 * retried) and `Retry-After` read in both of its forms (seconds, or an HTTP date), so the engine
 * waits at least as long as the service asked.
 *
 * @example
 *   await postJson(url, { 'x-api-key': key }, JSON.stringify(body), signal);
 */
import { classifyStatus, classifyThrown, DeliveryError } from '../types.ts';
import { exchange, type HttpAnswer } from '../http.ts';

/** Seconds to wait from a `Retry-After` value (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export async function postJson(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<void> {
  let answer: HttpAnswer;
  try {
    answer = await exchange({ url, method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Meridian-Activation/1', ...headers }, body, signal });
  } catch (err) {
    throw classifyThrown(err);
  }
  const failure = classifyStatus(answer.status, answer.text, null);
  if (failure) throw new DeliveryError(failure.message, failure.retryable, answer.status, retryAfterSeconds(answer.header('retry-after')));
}
