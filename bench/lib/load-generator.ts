/**
 * A small closed-loop HTTP load generator on `node:http`: N connections (a keep-alive Agent
 * with N sockets), each sending its next request as soon as the previous answer has arrived,
 * for a fixed duration after a warm-up. Loopback only; every latency is kept.
 *
 * @example
 *   const result = await generateLoad({ url: 'http://127.0.0.1:8080/health', method: 'GET', connections: 8, durationMs: 5000 });
 *   result.requestsPerSecond;
 */
import { Agent, request } from 'node:http';
import { summarizeLatencies, type LatencySummary } from './stats.ts';

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The body of the next request; called once per request (so ids can be unique). */
  nextBody?: () => Buffer;
  connections: number;
  durationMs: number;
  /** Load sent before measuring, so the JIT and caches are warm (default 1 s). */
  warmupMs?: number;
  /** Answers with another status count as errors (default: any 2xx). */
  isSuccess?: (status: number) => boolean;
  /** Called right before and right after the measured phase (e.g. to sample the server's CPU). */
  onMeasuredPhase?: (edge: 'start' | 'end') => Promise<void>;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  /** Status codes seen (and `error:<code>` for failed connections), with counts. */
  outcomes: Record<string, number>;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** CPU time of this (load-generating) process over the measured phase, in cores (1 = one core busy). */
  clientCores: number;
}

function assertLoopback(url: URL): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`the load generator only targets loopback servers, not ${url.hostname}`);
  }
}

function sendOnce(agent: Agent, url: URL, options: LoadOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = options.nextBody?.();
    const headers: Record<string, string> = { ...options.headers };
    if (body) headers['content-length'] = String(body.length);
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface PhaseTally {
  latenciesMs: number[];
  outcomes: Record<string, number>;
  errors: number;
}

async function runPhase(agent: Agent, url: URL, options: LoadOptions, durationMs: number, tally: PhaseTally | undefined): Promise<number> {
  const isSuccess = options.isSuccess ?? ((status: number) => status >= 200 && status < 300);
  const started = performance.now();
  const deadline = started + durationMs;
  const connection = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      let outcome: string;
      let ok: boolean;
      try {
        const status = await sendOnce(agent, url, options);
        outcome = String(status);
        ok = isSuccess(status);
      } catch (error) {
        outcome = `error:${error instanceof Error && 'code' in error ? String(error.code) : 'unknown'}`;
        ok = false;
      }
      if (!tally) continue;
      tally.latenciesMs.push(performance.now() - sent);
      tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
      if (!ok) tally.errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, connection));
  return (performance.now() - started) / 1000;
}

export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  assertLoopback(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  try {
    await runPhase(agent, url, options, options.warmupMs ?? 1000, undefined);
    const tally: PhaseTally = { latenciesMs: [], outcomes: {}, errors: 0 };
    await options.onMeasuredPhase?.('start');
    const cpuBefore = process.cpuUsage();
    const seconds = await runPhase(agent, url, options, options.durationMs, tally);
    const cpu = process.cpuUsage(cpuBefore);
    await options.onMeasuredPhase?.('end');
    return {
      connections: options.connections,
      seconds,
      requests: tally.latenciesMs.length,
      errors: tally.errors,
      outcomes: tally.outcomes,
      requestsPerSecond: tally.latenciesMs.length / seconds,
      latency: summarizeLatencies(tally.latenciesMs),
      clientCores: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  } finally {
    agent.destroy();
  }
}
