import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exchange, sendHttp } from './http.ts';
import { DeliveryError } from './types.ts';

const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string; socket: number }[] = [];
const sockets = new WeakMap<object, number>();
let nextSocket = 1;
let base = '';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, nextSocket++);
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString(), socket: sockets.get(req.socket)! });
    if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    else if (req.url === '/busy') res.writeHead(503, { 'retry-after': '12' }).end('try later');
    else if (req.url === '/gone') res.writeHead(410).end('no such list');
    else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.destroy(), 10);
    }
    // '/silent': never answers
  });
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const post = (path: string, signal: AbortSignal = AbortSignal.timeout(5_000)) =>
  sendHttp({ url: base + path, method: 'POST', headers: { 'content-type': 'application/json', 'Content-Length': '1' }, body: '{"name":"Zoë"}', signal });

test('a request carries method, headers and the whole body, and keep-alive reuses the connection', async () => {
  seen.length = 0;
  await post('/ok');
  const answer = await exchange({ url: base + '/ok', method: 'PUT', headers: { 'x-key': 'k1' }, body: '[1,2]', signal: AbortSignal.timeout(5_000) });
  assert.equal(answer.status, 200);
  assert.equal(answer.text, '{"ok":true}');
  assert.equal(answer.header('Content-Type'), 'application/json');
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].body, '{"name":"Zoë"}');
  // The caller's wrong content-length is replaced by the body's byte length (ë is two bytes).
  assert.equal(seen[0].headers['content-length'], String(Buffer.byteLength('{"name":"Zoë"}')));
  assert.equal(seen[1].method, 'PUT');
  assert.equal(seen[1].headers['x-key'], 'k1');
  assert.equal(seen[1].socket, seen[0].socket);
});

test('answers are classified: 5xx retryable with Retry-After, other 4xx permanent', async () => {
  const busy = await post('/busy').then(() => undefined, (err: unknown) => err);
  assert.ok(busy instanceof DeliveryError);
  assert.equal(busy.retryable, true);
  assert.equal(busy.status, 503);
  assert.equal(busy.retryAfterSeconds, 12);
  assert.match(busy.message, /503: try later/);
  const gone = await post('/gone').then(() => undefined, (err: unknown) => err);
  assert.ok(gone instanceof DeliveryError);
  assert.equal(gone.retryable, false);
});

test('a destination that does not answer in time, refuses, or cuts the answer short is retried', async () => {
  const silent = await post('/silent', AbortSignal.timeout(100)).then(() => undefined, (err: unknown) => err);
  assert.ok(silent instanceof DeliveryError);
  assert.equal(silent.retryable, true);
  assert.match(silent.message, /did not answer in time/);

  const cut = await post('/cut').then(() => undefined, (err: unknown) => err);
  assert.ok(cut instanceof DeliveryError);
  assert.equal(cut.retryable, true);
  assert.match(cut.message, /network error/);

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = await sendHttp({ url: `http://127.0.0.1:${port}/x`, method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(5_000) }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(refused instanceof DeliveryError);
  assert.equal(refused.retryable, true);
  assert.match(refused.message, /ECONNREFUSED/);
});

test('an unusable URL is a permanent failure', async () => {
  const bad = await sendHttp({ url: 'not a url', method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(5_000) }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(bad instanceof DeliveryError);
  assert.equal(bad.retryable, false);
});
