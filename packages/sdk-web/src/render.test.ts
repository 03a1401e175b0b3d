/**
 * The SDK's renderer against a real DOM: headless Chromium loads a fixture page with the
 * standalone build, and propositions are applied through the public `applyPropositions`
 * command (no edge involved), or page loads run against an edge that never answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { builtSdk, launchChromium, serveSite, type Site } from '../testing/chromium.ts';
import type { ItemData, Proposition } from './types.ts';

const DOM_ACTION = 'https://ns.adobe.com/personalization/dom-action';
const SNIPPET = `<script>!function(w,n){w[n]=w[n]||function(){var a=arguments;return new Promise(function(r,j){(w[n].q=w[n].q||[]).push([r,j,a])})}}(window,'meridian')</script>`;

const FIXTURE = `<!doctype html><html><head>${SNIPPET}<script src="/meridian.js"></script></head><body>
<div id="html">old <b>html</b></div>
<p id="text">old text</p>
<a id="link" href="/old">link</a>
<img id="img" src="data:," alt="">
<div id="styled">styled</div>
<ul id="list"><li id="anchor">anchor</li></ul>
<div id="gone">gone</div>
<div class="many">1</div><div class="many">2</div>
</body></html>`;

/** A page that hides its containers with the install snippet and configures against `edgeUrl`. */
function pageLoadFixture(edgeUrl: string, timeoutMs: number): string {
  return `<!doctype html><html><head>
<style id="meridian-prehiding">#hero { opacity: 0 !important }</style>
${SNIPPET}<script src="/meridian.js"></script>
<script>window.started = Date.now();
meridian('configure', { configId: 'ds-1', edgeUrl: ${JSON.stringify(edgeUrl)}, timeoutMs: ${timeoutMs} });</script></head><body><div id="hero">default hero</div></body></html>`;
}

function proposition(id: string, actions: ItemData[]): Proposition {
  return {
    id,
    scope: '__view__',
    scopeDetails: { decisionProvider: 'MERIDIAN', activity: { id: `act-${id}` }, characteristics: { eventToken: `token-${id}` } },
    items: actions.map((data, i) => ({ id: `${id}#${i}`, schema: DOM_ACTION, data: { format: 'application/vnd.adobe.target.dom-action', ...data } })),
  };
}

const PREHIDING_TIMEOUT_MS = 1500;

const QUEUED_FIXTURE = `<!doctype html><html><head>${SNIPPET}<script>
window.results = [];
meridian('configure', {}).then(() => results.push('configured'), (e) => results.push('configure: ' + e.message));
meridian('teleport').then(() => results.push('ran'), (e) => results.push('teleport: ' + e.message));
meridian('configure', { configId: 'ds-1', autoPageView: false }).then(() => results.push('configured'));
</script><script src="/meridian.js" async></script></head><body></body></html>`;

const MODULE_FIXTURE = `<!doctype html><html><head><script type="module">
import { createMeridian, PAGE_SCOPE } from '/meridian.mjs';
const meridian = createMeridian();
await meridian.configure({ configId: 'ds-1', autoPageView: false });
window.result = await meridian.applyPropositions({ propositions: [{ id: 'p-esm', scope: PAGE_SCOPE, items: [
  { id: 'i', schema: 'https://ns.adobe.com/personalization/dom-action', data: { type: 'setText', selector: '#target', content: 'from the module build' } }] }] });
</script></head><body><p id="target">default</p></body></html>`;

type CommandWindow = { meridian: (name: string, options?: unknown) => Promise<unknown> };

function apply(page: Page, propositions: Proposition[]): Promise<{ propositions: Proposition[] }> {
  return page.evaluate((props) => (window as unknown as CommandWindow).meridian('applyPropositions', { propositions: props }), propositions) as Promise<{ propositions: Proposition[] }>;
}

describe('the web SDK renderer in Chromium', () => {
  let browser: Browser;
  let site: Site;
  const held: { end(): void }[] = [];

  before(async () => {
    const sdk = await builtSdk();
    browser = await launchChromium();
    site = await serveSite({
      '/meridian.js': { type: 'text/javascript', body: sdk.iife.code },
      '/meridian.mjs': { type: 'text/javascript', body: sdk.esm.code },
      '/module.html': { type: 'text/html', body: MODULE_FIXTURE },
      '/page.html': { type: 'text/html', body: FIXTURE },
      '/landing.html': { type: 'text/html', body: '<!doctype html><p id="landed">landed</p>' },
      // An edge that takes the request and never answers: the page must show itself anyway.
      '/silent/ee/v1/interact': (_request, response) => held.push(response),
      '/hero.html': { type: 'text/html', body: pageLoadFixture('/silent', PREHIDING_TIMEOUT_MS) },
      '/queued.html': { type: 'text/html', body: QUEUED_FIXTURE },
    });
  });

  after(async () => {
    for (const response of held) response.end();
    await browser?.close();
    await site?.close();
  });

  async function fixturePage(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${site.url}/page.html`);
    return page;
  }

  it('applies every DOM action type to the elements its selector names', async () => {
    const page = await fixturePage();
    const { propositions } = await apply(page, [
      proposition('p-html', [{ type: 'setHtml', selector: '#html', content: '<em id="new-html">new</em> html' }]),
      proposition('p-text', [{ type: 'setText', selector: '#text', content: '<b>not html</b>' }]),
      proposition('p-attr', [{ type: 'setAttribute', selector: '#link', name: 'href', content: '/sale' }]),
      proposition('p-style', [{ type: 'setStyle', selector: '#styled', name: 'background-color', content: 'rgb(255, 0, 0)' }]),
      proposition('p-before', [{ type: 'insertBefore', selector: '#anchor', content: '<li id="before">before</li>' }]),
      proposition('p-after', [{ type: 'insertAfter', selector: '#anchor', content: '<li id="after">after</li>' }]),
      proposition('p-append', [{ type: 'appendHtml', selector: '#list', content: '<li id="appended">appended</li>' }]),
      proposition('p-remove', [{ type: 'remove', selector: '#gone' }]),
      proposition('p-many', [{ type: 'setText', selector: '.many', content: 'same' }]),
    ]);
    const dom = await page.evaluate(() => ({
      html: document.getElementById('html')!.innerHTML,
      text: document.getElementById('text')!.innerHTML,
      href: document.getElementById('link')!.getAttribute('href'),
      background: getComputedStyle(document.getElementById('styled')!).backgroundColor,
      list: Array.from(document.querySelectorAll('#list li'), (li) => li.id),
      gone: document.getElementById('gone'),
      many: Array.from(document.querySelectorAll('.many'), (d) => d.textContent),
    }));
    assert.equal(dom.html, '<em id="new-html">new</em> html');
    assert.equal(dom.text, '&lt;b&gt;not html&lt;/b&gt;');
    assert.equal(dom.href, '/sale');
    assert.equal(dom.background, 'rgb(255, 0, 0)');
    assert.deepEqual(dom.list, ['before', 'anchor', 'after', 'appended']);
    assert.equal(dom.gone, null);
    assert.deepEqual(dom.many, ['same', 'same']);
    assert.ok(propositions.every((p) => p.renderAttempted === true));
    await page.close();
  });

  it("accepts Adobe's object content for setAttribute and setStyle", async () => {
    const page = await fixturePage();
    await apply(page, [
      proposition('p-obj', [
        { type: 'setAttribute', selector: '#link', content: { href: '/a', title: 'A title' } },
        { type: 'setStyle', selector: '#styled', content: { color: 'rgb(0, 128, 0)', 'font-weight': '700', priority: 'important' } },
      ]),
    ]);
    const dom = await page.evaluate(() => {
      const styled = document.getElementById('styled')!;
      return {
        href: document.getElementById('link')!.getAttribute('href'),
        title: document.getElementById('link')!.getAttribute('title'),
        color: getComputedStyle(styled).color,
        weight: getComputedStyle(styled).fontWeight,
        priority: styled.style.getPropertyPriority('color'),
      };
    });
    assert.deepEqual(dom, { href: '/a', title: 'A title', color: 'rgb(0, 128, 0)', weight: '700', priority: 'important' });
    await page.close();
  });

  it('marks changed and inserted elements with the proposition id, for click reporting', async () => {
    const page = await fixturePage();
    await apply(page, [
      proposition('p-1', [{ type: 'setHtml', selector: '#html', content: 'x' }]),
      proposition('p-2', [{ type: 'setText', selector: '#html', content: 'y' }, { type: 'insertAfter', selector: '#anchor', content: '<li id="after">after</li>' }]),
    ]);
    const marks = await page.evaluate(() => ({
      html: document.getElementById('html')!.getAttribute('data-meridian-id'),
      inserted: document.getElementById('after')!.getAttribute('data-meridian-id'),
      anchor: document.getElementById('anchor')!.getAttribute('data-meridian-id'),
    }));
    assert.deepEqual(marks, { html: 'p-1 p-2', inserted: 'p-2', anchor: null });
    await page.close();
  });

  it('waits for an element that appears later, keeping its prehidingSelector hidden until then', async () => {
    const page = await fixturePage();
    const rendering = apply(page, [proposition('p-late', [{ type: 'setHtml', selector: '#late', prehidingSelector: '#late', content: 'personalized' }])]);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('style')).some((s) => s.textContent?.includes('#late { visibility: hidden')));
    const visibility = await page.evaluate(() => {
      const late = document.createElement('div');
      late.id = 'late';
      late.textContent = 'default';
      document.body.appendChild(late);
      return getComputedStyle(late).visibility;
    });
    assert.equal(visibility, 'hidden', 'the late element is born hidden, so its default content never shows');
    const { propositions } = await rendering;
    const after = await page.evaluate(() => ({
      html: document.getElementById('late')!.innerHTML,
      visibility: getComputedStyle(document.getElementById('late')!).visibility,
    }));
    assert.deepEqual(after, { html: 'personalized', visibility: 'visible' });
    assert.equal(propositions[0].renderAttempted, true);
    await page.close();
  });

  it('does not mark a proposition whose element never appears or whose action is unknown', async () => {
    const page = await fixturePage();
    await page.evaluate(() => (window as unknown as CommandWindow).meridian('configure', { configId: 'ds-1', autoPageView: false, renderWaitMs: 200 }));
    await apply(page, [
      proposition('p-missing', [{ type: 'setHtml', selector: '#never', content: 'x' }]),
      proposition('p-unknown', [{ type: 'teleport', selector: '#html', content: 'x' }]),
    ]);
    const dom = await page.evaluate(() => ({ marked: document.querySelectorAll('[data-meridian-id]').length, html: document.getElementById('html')!.textContent }));
    assert.deepEqual(dom, { marked: 0, html: 'old html' });
    await page.close();
  });

  it('follows a redirect item', async () => {
    const page = await fixturePage();
    await Promise.all([
      page.waitForURL(`${site.url}/landing.html`),
      apply(page, [{ id: 'p-redirect', scope: '__view__', items: [{ id: 'r', schema: 'https://ns.adobe.com/personalization/redirect-item', data: { content: `${site.url}/landing.html` } }] }]),
    ]);
    assert.equal(await page.textContent('#landed'), 'landed');
    await page.close();
  });

  it('shows prehidden containers after timeoutMs when the edge does not answer, and the page view fails', async () => {
    const page = await browser.newPage();
    const warnings: string[] = [];
    page.on('console', (message) => warnings.push(message.text()));
    await page.goto(`${site.url}/hero.html`);
    const early = await page.evaluate(() => ({ hidden: document.getElementById('meridian-prehiding') !== null, opacity: getComputedStyle(document.getElementById('hero')!).opacity }));
    assert.deepEqual(early, { hidden: true, opacity: '0' });
    await page.waitForFunction(() => document.getElementById('meridian-prehiding') === null, undefined, { timeout: 10_000 });
    const shownAfter = await page.evaluate(() => Date.now() - (window as unknown as { started: number }).started);
    assert.ok(shownAfter >= PREHIDING_TIMEOUT_MS - 100, `prehiding lasted ${shownAfter} ms, not the configured ${PREHIDING_TIMEOUT_MS} ms`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('hero')!).opacity), '1');
    assert.equal(await page.textContent('#hero'), 'default hero');
    const deadline = Date.now() + 5000;
    while (!warnings.some((w) => w.includes(`did not answer within ${PREHIDING_TIMEOUT_MS} ms`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(warnings.some((w) => w.includes(`did not answer within ${PREHIDING_TIMEOUT_MS} ms`)), warnings.join('\n'));
    await page.close();
  });

  it('works the same from the ES module build', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/module.html`);
    await page.waitForFunction(() => 'result' in window);
    assert.equal(await page.textContent('#target'), 'from the module build');
    assert.equal(await page.evaluate(() => (window as unknown as { result: { propositions: Proposition[] } }).result.propositions[0].renderAttempted), true);
    await page.close();
  });

  it('replays commands queued by the snippet before the SDK loaded, and rejects bad ones', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/queued.html`);
    await page.waitForFunction(() => (window as unknown as { results: string[] }).results.length === 3);
    const results = await page.evaluate(() => (window as unknown as { results: string[] }).results);
    assert.deepEqual(results.sort(), ['configure: [meridian] configure needs a configId', 'configured', 'teleport: [meridian] unknown command "teleport"']);
    await page.close();
  });
});
