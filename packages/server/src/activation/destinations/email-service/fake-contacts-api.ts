/* eslint-disable @typescript-eslint/no-explicit-any -- test support: request bodies are asserted field by field */
/**
 * Test support: a local contacts API (an email or SMS service) that records each request — path,
 * headers, JSON body, time — and answers with scripted statuses and headers (e.g. 429 with
 * Retry-After), then 200.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ContactsRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  json: any;
  at: number;
  status: number;
}

export interface FakeContactsApi {
  url: string;
  requests: ContactsRequest[];
  /** Answers for the next requests, in order; afterwards 200. */
  script(...answers: { status: number; headers?: Record<string, string> }[]): void;
  waitFor(predicate: (requests: ContactsRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function fakeContactsApi(): Promise<FakeContactsApi> {
  const requests: ContactsRequest[] = [];
  const queue: { status: number; headers?: Record<string, string> }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = queue.shift() ?? { status: 200 };
      let json: any;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        json = undefined;
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, json, at: Date.now(), status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(JSON.stringify(answer.status < 300 ? { errors: [] } : { title: 'scripted failure' }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v3`,
    requests,
    script(...answers) {
      queue.push(...answers);
    },
    async waitFor(predicate, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error(`fake contacts API: condition not met in ${timeoutMs} ms (${requests.length} requests)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
