import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.ts';
import { allocationBucket, murmurHash3Chars, targetAllocation } from './hash.ts';
import type { Activity, Condition, Offer } from './model.ts';
import { decodeEventToken, type DecisionRequest } from './request.ts';
import { htmlOffer, liveActivity, snapshotOf } from './test-support.ts';

const offers = [htmlOffer('o-a'), htmlOffer('o-b'), htmlOffer('o-c')];
const ab = (overrides: Partial<Activity> = {}) =>
  liveActivity({
    experiences: [
      { id: 'A', name: 'Control', offerIds: ['o-a'], control: true, traffic: 50 },
      { id: 'B', name: 'Variant', offerIds: ['o-b'], traffic: 50 },
    ],
    ...overrides,
  });
const request = (overrides: Partial<DecisionRequest> = {}): DecisionRequest => ({ visitorId: 'v-1', scopes: ['hero'], now: Date.UTC(2026, 5, 1, 12), ...overrides });
const winner = (activities: Activity[], req: DecisionRequest, extraOffers: Offer[] = []) => decide(req, snapshotOf(activities, [...offers, ...extraOffers])).propositions.map((p) => `${p.scope}:${p.activity.id}:${p.experience.id}`);

test("the allocation hash is Target's MurmurHash3 over UTF-16 code units, value for value", () => {
  // Expected values computed with hashUnencodedCharsRaw and calculateAllocation copied verbatim
  // from @adobe/target-nodejs-sdk 2.4.3 (dist/targetclient.server.js), device id client.activity.visitor.0.
  assert.equal(murmurHash3Chars('someClientId.123456.tnt_id_1.0'), -1688183412);
  assert.equal(murmurHash3Chars('targettesting.125880.338e3c1e51f7416a8e1ccba4f81acea0.28_0.0'), -2027270508);
  assert.equal(murmurHash3Chars('prod.act_1.visitor-1.0'), 1402480708);
  assert.equal(murmurHash3Chars('prod.act_1.été-😀.0'), -938242743, 'non-ASCII and surrogate pairs hash as UTF-16 code units');
  assert.equal(murmurHash3Chars('a.b.c.0'), -1646206311);
  assert.equal(targetAllocation('someClientId', '123456', 'tnt_id_1'), 34.12);
  assert.equal(targetAllocation('targettesting', '125880', '338e3c1e51f7416a8e1ccba4f81acea0.28_0'), 5.08);
  assert.equal(allocationBucket('prod', 'act_1', 'visitor-1'), 708);
});

test('an activity answers only its scopes; URL-only activities answer the page scope', () => {
  const hero = ab({ location: { scopes: ['hero'] } });
  const page = ab({ location: { urls: [{ operator: 'contains', value: '/shoes' }] } });
  assert.deepEqual(winner([hero, page], request({ scopes: ['sidebar'] })), []);
  assert.equal(winner([hero, page], request({ scopes: ['hero'] }))[0].split(':')[1], hero.id);
  assert.equal(winner([hero, page], request({ scopes: ['__view__'], context: { url: 'https://shop.test/shoes/42' } }))[0].split(':')[1], page.id);
  assert.deepEqual(winner([hero, page], request({ scopes: ['__view__'], context: { url: 'https://shop.test/hats' } })), []);
  assert.equal(winner([hero, page], request({ scopes: ['hero', '__view__', 'hero'], context: { url: 'https://shop.test/shoes' } })).length, 2, 'one proposition per distinct scope');
});

test('URL rules: equals, contains, startsWith and regex, case-insensitive unless asked', () => {
  const cases: [Activity['location'], string, boolean][] = [
    [{ urls: [{ operator: 'equals', value: 'https://shop.test/' }] }, 'https://SHOP.test/', true],
    [{ urls: [{ operator: 'equals', value: 'https://shop.test/' }] }, 'https://shop.test/?a=1', false],
    [{ urls: [{ operator: 'startsWith', value: 'https://shop.test/cart' }] }, 'https://shop.test/cart/checkout', true],
    [{ urls: [{ operator: 'startsWith', value: 'https://shop.test/cart' }] }, 'https://other.test/cart', false],
    [{ urls: [{ operator: 'regex', value: '/product/\\d+$' }] }, 'https://shop.test/product/123', true],
    [{ urls: [{ operator: 'regex', value: '/product/\\d+$' }] }, 'https://shop.test/product/abc', false],
    [{ urls: [{ operator: 'contains', value: 'Sale', caseSensitive: true }] }, 'https://shop.test/sale', false],
    [{ urls: [{ operator: 'contains', value: 'sale' }, { operator: 'contains', value: 'promo' }] }, 'https://shop.test/promo', true],
    [{ scopes: ['hero'], urls: [{ operator: 'contains', value: '/home' }] }, 'https://shop.test/about', false],
  ];
  for (const [location, url, expected] of cases) {
    const activity = ab({ location });
    const scopes = location.scopes ?? ['__view__'];
    assert.equal(winner([activity], request({ scopes, context: { url } })).length === 1, expected, `${JSON.stringify(location)} on ${url}`);
  }
});

test('audience and context conditions decide who enters', () => {
  const now = Date.UTC(2026, 5, 3, 16, 30); // Wednesday 16:30 UTC = 12:30 in New York, 01:30 Thursday in Tokyo
  const base: DecisionRequest = {
    visitorId: 'v-9',
    scopes: ['hero'],
    now,
    memberships: { 'aud-gold': 'realized', 'aud-old': 'exited' },
    attributes: { loyalty: { tier: 'gold', points: 1200 }, tags: ['vip', 'runner'] },
    context: {
      url: 'https://shop.test/shoes?utm_source=Mail&x=1#top',
      referrer: 'https://www.google.com/search?q=shoes',
      deviceType: 'mobile',
      browser: 'Safari',
      os: 'iOS',
      geo: { country: 'US', region: 'NY', city: 'New York' },
      params: { category: 'running' },
    },
  };
  const cases: [Condition, boolean][] = [
    [{ type: 'audience', audienceId: 'aud-gold' }, true],
    [{ type: 'audience', audienceId: 'aud-old' }, false],
    [{ type: 'audience', audienceId: 'aud-none' }, false],
    [{ type: 'referrer', operator: 'contains', value: 'google.' }, true],
    [{ type: 'queryParam', name: 'utm_source', operator: 'equals', value: 'mail' }, true],
    [{ type: 'queryParam', name: 'utm_source', operator: 'equals', value: 'mail', caseSensitive: true }, false],
    [{ type: 'queryParam', name: 'top', operator: 'exists' }, false],
    [{ type: 'param', name: 'category', operator: 'startsWith', value: 'run' }, true],
    [{ type: 'deviceType', in: ['desktop', 'tablet'] }, false],
    [{ type: 'deviceType', in: ['mobile'] }, true],
    [{ type: 'browser', in: ['safari'] }, true],
    [{ type: 'os', in: ['android'] }, false],
    [{ type: 'geo', field: 'city', in: ['new york', 'boston'] }, true],
    [{ type: 'geo', field: 'country', in: ['FR'] }, false],
    [{ type: 'timeOfDay', from: '12:00', to: '13:00', timezone: 'America/New_York' }, true],
    [{ type: 'timeOfDay', from: '12:00', to: '13:00' }, false],
    [{ type: 'timeOfDay', from: '22:00', to: '02:00', timezone: 'Asia/Tokyo' }, true],
    [{ type: 'dayOfWeek', days: [3] }, true],
    [{ type: 'dayOfWeek', days: [3], timezone: 'Asia/Tokyo' }, false],
    [{ type: 'dayOfWeek', days: [4], timezone: 'Asia/Tokyo' }, true],
    [{ type: 'profile', path: 'loyalty.tier', operator: 'equals', value: 'GOLD' }, true],
    [{ type: 'profile', path: 'loyalty.points', operator: 'gte', value: 1000 }, true],
    [{ type: 'profile', path: 'loyalty.points', operator: 'lt', value: 1000 }, false],
    [{ type: 'profile', path: 'tags', operator: 'contains', value: 'vip' }, true],
    [{ type: 'profile', path: 'loyalty.tier', operator: 'in', value: ['silver', 'bronze'] }, false],
    [{ type: 'profile', path: 'person.age', operator: 'exists' }, false],
    [{ type: 'all', conditions: [{ type: 'audience', audienceId: 'aud-gold' }, { type: 'deviceType', in: ['mobile'] }] }, true],
    [{ type: 'any', conditions: [{ type: 'audience', audienceId: 'aud-none' }, { type: 'os', in: ['ios'] }] }, true],
    [{ type: 'not', condition: { type: 'audience', audienceId: 'aud-gold' } }, false],
  ];
  for (const [audience, expected] of cases) {
    assert.equal(winner([ab({ audience })], base).length === 1, expected, JSON.stringify(audience));
  }
  const noGeo = { ...base, context: { url: base.context?.url } };
  assert.deepEqual(winner([ab({ audience: { type: 'geo', field: 'country', in: ['US'] } })], noGeo), [], 'geo conditions are false without geo');
});

test('the higher priority wins a contested scope; a lower one takes it when the higher does not match', () => {
  const low = ab({ priority: 1 });
  const high = ab({ priority: 5, audience: { type: 'audience', audienceId: 'aud-vip' } });
  const older = ab({ priority: 1 });
  assert.equal(winner([low, high, older], request({ memberships: { 'aud-vip': 'existing' } }))[0].split(':')[1], high.id);
  assert.equal(winner([low, high, older], request())[0].split(':')[1], low.id, 'equal priority: the older activity');
});

test('activities answer only between their start and end dates, and only when live', () => {
  const dated = ab({ startsAt: '2026-06-01T00:00:00.000Z', endsAt: '2026-06-30T00:00:00.000Z' });
  assert.equal(winner([dated], request({ now: Date.UTC(2026, 4, 31, 23) })).length, 0, 'before the start');
  assert.equal(winner([dated], request({ now: Date.UTC(2026, 5, 1, 0) })).length, 1, 'at the start');
  assert.equal(winner([dated], request({ now: Date.UTC(2026, 5, 30, 0) })).length, 0, 'at the end');
  assert.equal(winner([ab({ status: 'paused' }), ab({ status: 'draft' })], request()).length, 0);
});

test('a live activity that no longer compiles is skipped, not the whole sandbox', () => {
  const broken = ab({ priority: 9, location: { urls: [{ operator: 'regex', value: '(unclosed' }] } });
  const healthy = ab({ priority: 1 });
  const snapshot = snapshotOf([broken, healthy], offers);
  assert.deepEqual(snapshot.skipped, [broken.id]);
  assert.equal(decide(request(), snapshot).propositions[0].activity.id, healthy.id);
});

test('a holdout gets no content (not even from a lower-priority activity) and is the configured share', () => {
  const held = ab({ holdoutPercent: 10, priority: 9 });
  const other = ab({ priority: 1 });
  const snapshot = snapshotOf([held, other], offers);
  let heldOut = 0;
  for (let i = 0; i < 10_000; i++) {
    const result = decide(request({ visitorId: `visitor-${i}` }), snapshot);
    if (result.heldOut.includes(held.id)) {
      heldOut++;
      assert.equal(result.propositions.length, 0);
    } else assert.equal(result.propositions[0].activity.id, held.id);
  }
  // Binomial(10000, 0.1): sd 30, so ±150 is five standard deviations.
  assert.ok(Math.abs(heldOut - 1000) < 150, `held out ${heldOut} of 10,000`);
});

test('assignment is sticky, deterministic across nodes and follows the configured split', () => {
  const activity = ab({ experiences: [
    { id: 'A', name: 'Control', offerIds: ['o-a'], control: true, traffic: 20 },
    { id: 'B', name: 'B', offerIds: ['o-b'], traffic: 80 },
  ] });
  // Two nodes compile their own snapshots from the same definitions.
  const nodeOne = snapshotOf([activity], offers);
  const nodeTwo = snapshotOf([structuredClone(activity)], offers.map((o) => structuredClone(o)));
  const counts = { A: 0, B: 0 } as Record<string, number>;
  for (let i = 0; i < 10_000; i++) {
    const req = request({ visitorId: `ecid-${i}` });
    const first = decide(req, nodeOne).propositions[0].experience.id;
    assert.equal(decide(req, nodeOne).propositions[0].experience.id, first, 'same visitor, same experience');
    assert.equal(decide(req, nodeTwo).propositions[0].experience.id, first, 'same on another node');
    counts[first]++;
  }
  assert.ok(Math.abs(counts.A - 2000) < 200, `control got ${counts.A} of 10,000 for a 20% share`);
});

test('once identified, the person id decides: the same experience on every device', () => {
  const activity = ab();
  const snapshot = snapshotOf([activity], offers);
  const seen = new Set<string>();
  for (const device of ['ecid-phone', 'ecid-laptop', 'ecid-tablet', 'ecid-tv']) {
    const result = decide(request({ visitorId: device, profileId: 'person-42' }), snapshot);
    assert.equal(result.assignmentKey, 'person-42');
    seen.add(result.propositions[0].experience.id);
  }
  assert.equal(seen.size, 1);
  // Anonymous devices spread over both experiences.
  const anonymous = new Set(Array.from({ length: 40 }, (_, i) => decide(request({ visitorId: `anon-${i}` }), snapshot).propositions[0].experience.id));
  assert.equal(anonymous.size, 2);
});

test('experience targeting takes the first matching rule, else the fallback, else leaves the scope', () => {
  const xt = liveActivity({
    type: 'xt',
    priority: 5,
    experiences: [
      { id: 'gold', name: 'Gold', offerIds: ['o-a'], audience: { type: 'audience', audienceId: 'aud-gold' } },
      { id: 'mobile', name: 'Mobile', offerIds: ['o-b'], audience: { type: 'deviceType', in: ['mobile'] } },
      { id: 'rest', name: 'Everyone else', offerIds: ['o-c'] },
    ],
    fallbackExperienceId: 'rest',
  });
  const noFallback = { ...xt, id: 'act_xt_nofallback', fallbackExperienceId: undefined, experiences: xt.experiences.slice(0, 2) };
  const backup = ab({ priority: 0 });
  const experienceOf = (activities: Activity[], req: DecisionRequest) => winner(activities, req)[0]?.split(':').slice(1).join(':');
  assert.equal(experienceOf([xt], request({ memberships: { 'aud-gold': 'realized' }, context: { deviceType: 'mobile' } })), `${xt.id}:gold`, 'first rule in order wins');
  assert.equal(experienceOf([xt], request({ context: { deviceType: 'mobile' } })), `${xt.id}:mobile`);
  assert.equal(experienceOf([xt], request({ context: { deviceType: 'desktop' } })), `${xt.id}:rest`, 'fallback');
  assert.match(experienceOf([noFallback, backup], request({ context: { deviceType: 'desktop' } })) ?? '', new RegExp(`^${backup.id}:`), 'no rule, no fallback: the next activity');
});

test('propositions carry the items of every offer type and a token that names activity, experience and audiences', () => {
  const dom: Offer = {
    id: 'o-dom', name: 'hero swap', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    content: { type: 'dom-actions', actions: [
      { type: 'setHtml', selector: '#hero h1', content: 'Summer sale' },
      { type: 'setStyle', selector: '#hero', name: 'background-color', content: 'gold' },
      { type: 'remove', selector: '.banner' },
    ] },
  };
  const json: Offer = { id: 'o-json', name: 'config', createdAt: dom.createdAt, updatedAt: dom.updatedAt, content: { type: 'json', json: { discount: 10 } } };
  const redirect: Offer = { id: 'o-go', name: 'go', createdAt: dom.createdAt, updatedAt: dom.updatedAt, content: { type: 'redirect', url: 'https://shop.test/new' } };
  const def: Offer = { id: 'o-def', name: 'default', createdAt: dom.createdAt, updatedAt: dom.updatedAt, content: { type: 'default' } };
  const activity = liveActivity({
    type: 'xt',
    location: { scopes: ['__view__'] },
    audience: { type: 'any', conditions: [{ type: 'audience', audienceId: 'aud-gold' }, { type: 'audience', audienceId: 'aud-silver' }] },
    experiences: [{ id: 'all', name: 'All', offerIds: ['o-dom', 'o-json', 'o-go', 'o-def'], audience: { type: 'audience', audienceId: 'aud-gold' } }],
  });
  const result = decide(request({ scopes: ['__view__'], memberships: { 'aud-gold': 'realized' } }), snapshotOf([activity], [dom, json, redirect, def]));
  const [p] = result.propositions;
  assert.equal(p.scope, '__view__');
  assert.deepEqual(p.items.map((i) => i.schema.split('/').pop()), ['dom-action', 'dom-action', 'dom-action', 'json-content-item', 'redirect-item', 'default-content-item']);
  assert.deepEqual(p.items[0].data, { id: 'o-dom#0', type: 'setHtml', format: 'application/vnd.adobe.target.dom-action', selector: '#hero h1', prehidingSelector: '#hero h1', content: 'Summer sale' });
  assert.equal(p.items[1].data.name, 'background-color');
  assert.deepEqual(p.items[3].data, { id: 'o-json', format: 'application/json', content: { discount: 10 } });
  assert.equal(p.items[0].meta['activity.id'], activity.id);
  assert.equal(p.scopeDetails.decisionProvider, 'MERIDIAN');
  assert.deepEqual(JSON.parse(Buffer.from(p.id.slice(3), 'base64').toString()), { activityId: activity.id, experienceId: 'all' });
  assert.deepEqual(decodeEventToken(p.scopeDetails.characteristics.eventToken), { activityId: activity.id, experienceId: 'all', audiences: ['aud-gold'] });
});

test('any A/B split is honoured within sampling error (property)', async () => {
  const fc = await import('fast-check');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 5 }), fc.integer({ min: 0, max: 1000 }), (weights, salt) => {
      const total = weights.reduce((a, b) => a + b, 0);
      // Integer percentages adding up to 100: the remainder goes to the last experience.
      const traffic = weights.map((w) => Math.floor((w / total) * 100));
      traffic[traffic.length - 1] += 100 - traffic.reduce((a, b) => a + b, 0);
      const activity = liveActivity({
        experiences: traffic.map((t, i) => ({ id: `E${i}`, name: `E${i}`, offerIds: [], traffic: t, ...(i === 0 ? { control: true } : {}) })),
      });
      const snapshot = snapshotOf([activity]);
      const counts = new Map<string, number>();
      const n = 4000;
      for (let v = 0; v < n; v++) {
        const id = decide(request({ visitorId: `p-${salt}-${v}` }), snapshot).propositions[0].experience.id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      traffic.forEach((t, i) => {
        const expected = (t / 100) * n;
        const sd = Math.sqrt(n * (t / 100) * (1 - t / 100));
        assert.ok(Math.abs((counts.get(`E${i}`) ?? 0) - expected) <= 5 * sd + 1, `E${i}: ${counts.get(`E${i}`)} for ${t}%`);
      });
    }),
    { numRuns: 25, seed: 20261123 },
  );
});

// Page-load (VEC) activities: every qualifying one answers `__view__`, as on Target's global mbox.
const domOffer = (id: string, actions: { type: 'setHtml' | 'setText' | 'setStyle' | 'remove' | 'redirect'; selector: string; content?: string; name?: string }[]): Offer => ({
  id, name: `dom ${id}`, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', content: { type: 'dom-actions', actions },
});
const redirectOffer = (id: string, url: string): Offer => ({ id, name: `go ${id}`, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', content: { type: 'redirect', url } });
const pageActivity = (offerId: string, overrides: Partial<Activity> = {}) =>
  liveActivity({ location: { urls: [{ operator: 'contains', value: 'shop.test' }] }, experiences: [{ id: 'X', name: 'Only', offerIds: [offerId], control: true, traffic: 100 }], ...overrides });
const pageRequest = (overrides: Partial<DecisionRequest> = {}) => request({ scopes: ['__view__'], context: { url: 'https://shop.test/' }, ...overrides });
const pageOffers = [
  domOffer('o-hero', [{ type: 'setHtml', selector: '#hero', content: 'Summer' }, { type: 'setStyle', selector: '#hero', name: 'color', content: 'red' }]),
  domOffer('o-hero-2', [{ type: 'setHtml', selector: '#hero', content: 'Winter' }, { type: 'setHtml', selector: '#promo', content: 'Free shipping' }]),
  domOffer('o-nav', [{ type: 'remove', selector: 'nav .old' }]),
  domOffer('o-hero-only', [{ type: 'setText', selector: '#hero', content: 'Spring' }]),
  domOffer('o-hero-spelled', [{ type: 'setText', selector: 'BODY > div#hero.wide', content: 'Autumn' }, { type: 'setHtml', selector: 'NAV  .old', content: 'gone' }]),
  domOffer('o-dom-go', [{ type: 'redirect', selector: 'html', content: 'https://shop.test/dom-go' }]),
  redirectOffer('o-go', 'https://shop.test/go'),
  redirectOffer('o-go-2', 'https://shop.test/go-2'),
];
const page = (activities: Activity[], req: DecisionRequest = pageRequest()) => decide(req, snapshotOf(activities, [...offers, ...pageOffers]));
const selectorsOf = (p: { items: readonly { data: Readonly<Record<string, unknown>> }[] }) => p.items.map((i) => `${String(i.data.selector ?? i.data.format)}=${String(i.data.content)}`);

test('two page activities on different selectors both answer, best priority first', () => {
  const hero = pageActivity('o-hero', { priority: 2 });
  const nav = pageActivity('o-nav', { priority: 7 });
  const result = page([hero, nav]);
  assert.deepEqual(result.propositions.map((p) => `${p.scope}:${p.activity.id}`), [`__view__:${nav.id}`, `__view__:${hero.id}`]);
  assert.deepEqual(selectorsOf(result.propositions[1]), ['#hero=Summer', '#hero=red'], 'both of its actions on #hero, its own selector');
  assert.deepEqual(page([hero, nav], pageRequest({ context: { url: 'https://other.test/' } })).propositions, [], 'neither matches the URL');
});

test('on a selector two page activities change, the higher priority wins that item; the rest of the lower one still answers', () => {
  const high = pageActivity('o-hero', { priority: 5 });
  const low = pageActivity('o-hero-2', { priority: 1 });
  const result = page([low, high]);
  assert.deepEqual(result.propositions.map((p) => p.activity.id), [high.id, low.id]);
  assert.deepEqual(selectorsOf(result.propositions[0]), ['#hero=Summer', '#hero=red']);
  assert.deepEqual(selectorsOf(result.propositions[1]), ['#promo=Free shipping'], 'its #hero change is dropped');
  assert.equal(result.propositions[1].scopeDetails.characteristics.eventToken.length > 0, true);
  // A lower activity whose every change is taken delivers nothing: no proposition, so no impression is recorded.
  const onlyHero = pageActivity('o-hero-only', { priority: 0 });
  assert.deepEqual(page([onlyHero, high, low]).propositions.map((p) => p.activity.id), [high.id, low.id]);
  // html/json items target no selector: every activity keeps them.
  const htmlHigh = pageActivity('o-a', { priority: 9 });
  const htmlLow = pageActivity('o-b', { priority: 3 });
  assert.deepEqual(page([htmlLow, htmlHigh, low]).propositions.map((p) => `${p.activity.id}:${p.items.length}`), [`${htmlHigh.id}:1`, `${htmlLow.id}:1`, `${low.id}:2`]);
  // An experience with no items at all (a bare control) still answers and is counted.
  const bare = liveActivity({ location: { scopes: ['__view__'] }, experiences: [{ id: 'C', name: 'Control', offerIds: [], control: true, traffic: 100 }], priority: 0 });
  assert.deepEqual(page([bare, high]).propositions.map((p) => `${p.activity.id}:${p.items.length}`), [`${high.id}:2`, `${bare.id}:0`]);
  // The order is the same whatever order the activities were defined in, and on every call.
  assert.deepEqual(page([high, low]).propositions.map((p) => selectorsOf(p)), result.propositions.map((p) => selectorsOf(p)));
});

test('the same element written another way is the same element: the higher priority keeps it', () => {
  const high = pageActivity('o-hero', { priority: 5 });
  const nav = pageActivity('o-nav', { priority: 4 });
  const spelled = pageActivity('o-hero-spelled', { priority: 1 });
  // `BODY > div#hero.wide` is #hero (an id names one element); `NAV  .old` is `nav .old`.
  assert.deepEqual(page([spelled, high]).propositions.map((p) => selectorsOf(p)), [['#hero=Summer', '#hero=red'], ['NAV  .old=gone']], 'its #hero change is dropped, its nav change stays');
  assert.deepEqual(page([spelled, nav]).propositions.map((p) => selectorsOf(p)), [['nav .old=undefined'], ['BODY > div#hero.wide=Autumn']], 'its #hero change stays, its nav change is dropped');
  assert.deepEqual(page([spelled, nav, high]).propositions.map((p) => p.activity.id), [high.id, nav.id], 'nothing of the lowest is left: it does not answer');
});

test('on the page the highest-priority redirect wins and nothing of lower priority is delivered after it', () => {
  const go = pageActivity('o-go', { priority: 8 });
  const go2 = pageActivity('o-go-2', { priority: 6 });
  const hero = pageActivity('o-hero', { priority: 4 });
  const nav = pageActivity('o-nav', { priority: 9 });
  assert.deepEqual(page([hero, go2, go]).propositions.map((p) => p.activity.id), [go.id], 'one redirect, nothing after it');
  assert.deepEqual(page([hero, go2, go, nav]).propositions.map((p) => p.activity.id), [nav.id, go.id], 'higher-priority changes stay, the redirect ends the page');
  assert.equal(page([hero, go2, go]).propositions[0].items[0].data.content, 'https://shop.test/go');
  // A DOM redirect action counts as a redirect too.
  const domGo = pageActivity('o-dom-go', { priority: 7 });
  assert.deepEqual(page([hero, go2, domGo]).propositions.map((p) => p.activity.id), [domGo.id]);
  // A redirect that does not qualify leaves the page to the others.
  const dated = pageActivity('o-go', { priority: 10, endsAt: '2026-01-01T00:00:00.000Z' });
  assert.deepEqual(page([hero, dated]).propositions.map((p) => p.activity.id), [hero.id]);
});

test('a visitor held out of one page activity still gets the other page activities', () => {
  const held = pageActivity('o-hero', { priority: 9, holdoutPercent: 50 });
  const other = pageActivity('o-hero-2', { priority: 1 });
  const snapshot = snapshotOf([held, other], [...offers, ...pageOffers]);
  let heldOut = 0;
  for (let i = 0; i < 400; i++) {
    const result = decide(pageRequest({ visitorId: `page-${i}` }), snapshot);
    if (result.heldOut.includes(held.id)) {
      heldOut++;
      assert.deepEqual(result.propositions.map((p) => p.activity.id), [other.id]);
      assert.deepEqual(selectorsOf(result.propositions[0]), ['#hero=Winter', '#promo=Free shipping'], 'nothing claimed #hero for it');
    } else {
      assert.deepEqual(result.propositions.map((p) => p.activity.id), [held.id, other.id]);
      assert.deepEqual(selectorsOf(result.propositions[1]), ['#promo=Free shipping']);
    }
  }
  assert.ok(heldOut > 100 && heldOut < 300, `held out ${heldOut} of 400 for 50%`);
});

test('named scopes keep one activity per scope, beside several on the page', () => {
  const heroHigh = ab({ priority: 5, location: { scopes: ['hero'] } });
  const heroLow = ab({ priority: 1, location: { scopes: ['hero'] } });
  const both = pageActivity('o-nav', { priority: 3, location: { scopes: ['__view__', 'sidebar'] } });
  const pageOnly = pageActivity('o-hero', { priority: 2 });
  const result = page([heroLow, heroHigh, both, pageOnly], pageRequest({ scopes: ['hero', '__view__', 'sidebar'] }));
  assert.deepEqual(result.propositions.map((p) => `${p.scope}:${p.activity.id}`), [`hero:${heroHigh.id}`, `__view__:${both.id}`, `__view__:${pageOnly.id}`, `sidebar:${both.id}`]);
  // A holdout on a named scope still keeps the scope's default content.
  const heldHero = ab({ priority: 9, holdoutPercent: 100, location: { scopes: ['hero'] } });
  const held = page([heldHero, heroLow], pageRequest({ scopes: ['hero'] }));
  assert.deepEqual([held.propositions, held.heldOut], [[], [heldHero.id]]);
});
