/** Serving the web SDK and the demo storefront: caching headers, compression, config injection. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { createDatastream, ORG_ID } from '../edge-fixtures.ts';

let server: TestServer;

/** A GET that shows the bytes as sent (fetch would decompress them). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test('GET /sdk/meridian.js serves the minified standalone SDK with an ETag, and 304 when it is unchanged', async () => {
  const res = await fetch(`${server.url}/sdk/meridian.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
  const etag = res.headers.get('etag');
  assert.match(etag ?? '', /^"[\w-]+"$/);
  const code = await res.text();
  assert.ok(code.startsWith('/* Meridian web SDK'), code.slice(0, 80));
  assert.ok(!code.includes('\n  '), 'minified');
  assert.ok(code.includes('applyPropositions'), 'the command names survive minification');

  const again = await fetch(`${server.url}/sdk/meridian.js`, { headers: { 'if-none-match': etag ?? '' } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  const min = await fetch(`${server.url}/sdk/meridian.min.js`);
  assert.equal(min.headers.get('etag'), etag, 'meridian.min.js is the same file');
  const changed = await fetch(`${server.url}/sdk/meridian.js`, { headers: { 'if-none-match': '"something-else"' } });
  assert.equal(changed.status, 200);
});

test('the SDK is sent gzipped to clients that accept it, under the 10 KB budget', async () => {
  const res = await rawGet(`${server.url}/sdk/meridian.js`, { 'accept-encoding': 'gzip, deflate' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.match(String(res.headers.vary), /accept-encoding/i);
  assert.ok(res.body.length <= 10 * 1024, `${res.body.length} bytes gzipped`);
  assert.ok(gunzipSync(res.body).toString().startsWith('/* Meridian web SDK'));
  const plain = await rawGet(`${server.url}/sdk/meridian.js`, {});
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(plain.body.toString().startsWith('/* Meridian web SDK'));
});

test('GET /sdk/meridian.mjs serves the ES module build; other names are 404 problems', async () => {
  const esm = await fetch(`${server.url}/sdk/meridian.mjs`);
  assert.equal(esm.status, 200);
  assert.match(await esm.text(), /export\s*\{[^}]*createMeridian/);
  assertProblem(await server.api('GET', '/sdk/meridian-1.0.js', undefined, { key: null }), 404, 'NOT_FOUND');
  assertProblem(await server.api('GET', '/sdk/..%2F..%2Fpackage.json', undefined, { key: null }), 404, 'NOT_FOUND');
});

test('the demo storefront gets its datastream and org id injected, on every shop path', async () => {
  const ds = await createDatastream(server);
  const home = await fetch(`${server.url}/demo/?configId=${ds.id}`);
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
  const html = await home.text();
  assert.ok(html.includes(`window.MERIDIAN_DEMO = ${JSON.stringify({ configId: ds.id, orgId: ORG_ID })};`), html);
  assert.ok(html.includes('<script src="/sdk/meridian.js" async></script>'));
  assert.ok(html.includes('<style id="meridian-prehiding">'), 'the install snippet prehides the personalized containers');
  assert.ok(!/\bsrc="https?:|\bhref="https?:/.test(html), 'no external assets');

  const product = await (await fetch(`${server.url}/demo/product/NW-J100`)).text();
  assert.ok(product.includes('window.MERIDIAN_DEMO = {};'), 'without ?configId the page falls back to the one the tab remembers');
  const unknown = await (await fetch(`${server.url}/demo/?configId=nope%3C%2Fscript%3E`)).text();
  assert.ok(unknown.includes('"error":"unknown or disabled datastream"'));
  assert.ok(!unknown.includes('nope</script>'), 'the injected JSON cannot close the script element');

  const redirect = await fetch(`${server.url}/demo?configId=${ds.id}`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), `/demo/?configId=${ds.id}`);
});

test('demo assets are served with ETags; unknown ones are 404 problems', async () => {
  for (const [name, type] of [['shop.js', /^text\/javascript/], ['shop.css', /^text\/css/]] as const) {
    const res = await fetch(`${server.url}/demo/assets/${name}`);
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get('content-type') ?? '', type);
    const etag = res.headers.get('etag') ?? '';
    assert.equal((await fetch(`${server.url}/demo/assets/${name}`, { headers: { 'if-none-match': etag } })).status, 304);
  }
  assertProblem(await server.api('GET', '/demo/assets/missing.js', undefined, { key: null }), 404, 'NOT_FOUND');
});
