/* eslint-disable @typescript-eslint/no-explicit-any -- test support: API answers are asserted field by field */
/**
 * Test support for activation: a local fake destination (HTTP server) that records what Meridian
 * sends and answers as scripted, and helpers that create a profile dataset, an audience and people.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { TestServer } from '../testing/harness.ts';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
  /** What the fake answered. */
  status: number;
}

export interface FakeDestination {
  url: string;
  /** Every request, whatever the answer (recorded once answered). */
  received: Received[];
  /** When each request arrived (its body read), answered yet or not: a request never answered is here only. */
  arrivals: number[];
  /** Requests answered 2xx. */
  accepted(): Received[];
  /** Answer for the next requests: a status, or a function of the request count. */
  respond(answer: number | ((n: number) => number | Promise<number>)): void;
  /** Waits until `predicate` holds over the received requests. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function fakeDestination(): Promise<FakeDestination> {
  const received: Received[] = [];
  const arrivals: number[] = [];
  let answer: number | ((n: number) => number | Promise<number>) = 200;
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      arrivals.push(Date.now());
      const n = ++count;
      const status = typeof answer === 'number' ? answer : await answer(n);
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, at: Date.now(), status });
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: status < 300 }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    arrivals,
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    respond(a) {
      answer = a;
    },
    async waitFor(predicate, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`fake destination: condition not met in ${timeoutMs} ms (${received.length} requests received)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });

/** A profile dataset and a streaming audience `loyalty.tier = "gold"` in the sandbox. */
export async function goldAudience(server: TestServer, sandbox?: string): Promise<{ datasetId: string; audienceId: string }> {
  const options = sandbox ? { sandbox } : {};
  const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true }, options);
  if (crm.status !== 201) throw new Error(JSON.stringify(crm.body));
  const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') }, options);
  if (gold.status !== 201) throw new Error(JSON.stringify(gold.body));
  return { datasetId: crm.body.id, audienceId: gold.body.id };
}

export function person(i: number, tier = 'gold', extra: Record<string, unknown> = {}) {
  return {
    crm: { crmId: `C${i}` },
    personalEmail: { address: `Person${i}@Example.com` },
    person: { name: { firstName: `First${i}`, lastName: `Last${i}` } },
    loyalty: { tier, points: i * 10 },
    ...extra,
  };
}

export async function ingest(server: TestServer, datasetId: string, records: unknown[], sandbox?: string): Promise<void> {
  const res = await server.api('POST', `/api/v1/ingest/${datasetId}`, records, sandbox ? { sandbox } : {});
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
}
