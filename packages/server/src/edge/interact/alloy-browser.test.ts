/* eslint-disable @typescript-eslint/no-explicit-any -- browser results are read field by field */
/**
 * The real Adobe Web SDK (`@adobe/alloy`, unmodified) in headless Chromium against Meridian
 * served over https with a self-signed certificate: it gets its ECID (identity cookie), and
 * renders a `__view__` setHtml decision. Skipped only when /usr/bin/chromium is absent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_ADMIN_KEY, type ApiResponse, type TestServer } from '../../testing/harness.ts';
import { createActivity, createDatastream, createOffer, ORG_ID, PREFIX } from '../edge-fixtures.ts';
import { decodeIdentityCookie } from './identity-cookie.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;
const ALLOY = join(process.cwd(), 'node_modules/@adobe/alloy/dist/alloy.js');

let server: TestServer;
let https: TestServer;
let dir: string;
let datastreamId: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'meridian-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=edge.example.test',
    '-addext', 'subjectAltName=DNS:edge.example.test,DNS:*.example.test',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  server = await startTestServer({ MERIDIAN_TLS_CERT: join(dir, 'cert.pem'), MERIDIAN_TLS_KEY: join(dir, 'key.pem') });
  const address = server.running.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `https://127.0.0.1:${port}`;
  // The self-signed certificate is trusted by this test process only.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const api = async (method: string, path: string, body?: unknown, options: { sandbox?: string } = {}): Promise<ApiResponse> => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', ...(options.sandbox ? { 'x-sandbox-name': options.sandbox } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  https = { ...server, url, api: api as TestServer['api'] };
  datastreamId = (await createDatastream(https, { allowedOrigins: ['https://shop.example.test'] })).id;
  const offer = await createOffer(https, { type: 'dom-actions', actions: [{ type: 'setHtml', selector: '#banner', content: 'Hello from <b>Meridian</b>' }] });
  await createActivity(https, { name: 'banner', type: 'xt', location: { scopes: ['__view__'] }, experiences: [{ id: 'all', name: 'all', offerIds: [offer] }], fallbackExperienceId: 'all' });
});

after(async () => {
  if (skip) return;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const page = (configId: string) => `<!doctype html><html><head><title>shop</title>
<script>!function(n,o){o.forEach(function(o){n[o]||((n.__alloyNS=n.__alloyNS||[]).push(o),n[o]=function(){var u=arguments;return new Promise(function(i,l){n[o].q.push([i,l,u])})},n[o].q=[])})}(window,["alloy"]);</script>
<script src="/alloy.js" async></script></head>
<body><div id="banner">default banner</div>
<script>
alloy("configure", { datastreamId: "${configId}", orgId: "${ORG_ID}", edgeDomain: "edge.example.test", thirdPartyCookiesEnabled: false, defaultConsent: "in" });
window.sent = alloy("sendEvent", { renderDecisions: true, xdm: { eventType: "web.webpagedetails.pageViews" } })
  .then(function (r) { return { ok: true, propositions: r.propositions }; }, function (e) { return { ok: false, error: String(e) }; });
</script></body></html>`;

test('alloy gets its ECID cookie from Meridian and renders a __view__ setHtml decision', { skip, timeout: 60_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const address = server.running.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const profileDir = mkdtempSync(join(tmpdir(), 'meridian-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    args: [
      '--no-sandbox',
      '--ignore-certificate-errors',
      `--host-resolver-rules=MAP *.example.test 127.0.0.1:${port}`,
      // The test page is served from "the internet" (a route) and the edge from loopback: let the page call it.
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults',
    ],
  });
  try {
    // The shop's page and alloy come from the test; edge.example.test reaches Meridian over https.
    await context.route('https://shop.example.test/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/alloy.js') return route.fulfill({ status: 200, contentType: 'application/javascript', body: readFileSync(ALLOY, 'utf8') });
      return route.fulfill({ status: 200, contentType: 'text/html', body: page(datastreamId) });
    });
    const tab = await context.newPage();
    const trail: string[] = [];
    tab.on('requestfailed', (r) => trail.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    tab.on('response', (r) => trail.push(`${r.status()} ${r.request().method()} ${r.url()}`));
    tab.on('console', (m) => trail.push(`console ${m.type()}: ${m.text()}`));
    await tab.goto('https://shop.example.test/');
    const sent: any = await tab.evaluate(() => (window as unknown as { sent: Promise<unknown> }).sent);
    assert.equal(sent.ok, true, `${sent.error}\n${trail.join('\n')}`);
    await tab.waitForFunction(() => document.querySelector('#banner')?.innerHTML === 'Hello from <b>Meridian</b>', undefined, { timeout: 10_000 });
    const identity: any = await tab.evaluate(() => (window as unknown as { alloy(cmd: string): Promise<unknown> }).alloy('getIdentity'));
    const ecid = identity.identity.ECID;
    assert.match(ecid, /^[0-9]{38}$/);
    const cookie = (await context.cookies('https://shop.example.test/')).find((c) => c.name === `${PREFIX}_identity`);
    assert.ok(cookie, 'alloy stored the identity cookie from state:store');
    assert.equal(decodeIdentityCookie(cookie.value), ecid);
    // A reload keeps the same ECID: the cookie travels back to the edge.
    await tab.reload();
    await tab.evaluate(() => (window as unknown as { sent: Promise<unknown> }).sent);
    const again: any = await tab.evaluate(() => (window as unknown as { alloy(cmd: string): Promise<unknown> }).alloy('getIdentity'));
    assert.equal(again.identity.ECID, ecid);
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
});
