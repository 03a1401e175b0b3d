import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeIdentityCookie, encodeIdentityCookie, isEcid, mintEcid, parseCookies } from './identity-cookie.ts';
import { identityHandles, parseUserAgent, readInteract, requestConsent } from './wire.ts';
import { pruneToSchema, notificationTokens } from '../pipeline.ts';
import { evaluateEdgeAudiences } from '../edge-audiences.ts';
import { RecentEvents } from '../recent-events.ts';
import { compileExpression } from '../../segmentation/evaluate/index.ts';
import { parseOrThrow } from '../../segmentation/pql/index.ts';
import type { JsonObject } from '../../storage/json.ts';

const PREFIX = 'kndctr_Org_AdobeOrg';

describe('identity cookie', () => {
  test('any ECID survives encode → decode, also as standard base64 and URI-encoded (as alloy reads it)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{38}$/), fc.integer({ min: 0, max: 4_000_000_000_000 }), (ecid, at) => {
        const value = encodeIdentityCookie(ecid, at);
        assert.match(value, /^[A-Za-z0-9_-]+$/, 'base64url without padding');
        assert.equal(decodeIdentityCookie(value), ecid);
        const standard = Buffer.from(value, 'base64url').toString('base64');
        assert.equal(decodeIdentityCookie(encodeURIComponent(standard)), ecid);
      }),
    );
  });

  test('field 1 is found after other fields; garbage and non-ECIDs give nothing', () => {
    const ecid = mintEcid();
    const id = Buffer.from(ecid);
    // field 3 (varint 300), field 4 (len "ab"), then field 1
    const bytes = Buffer.from([0x18, 0xac, 0x02, 0x22, 0x02, 0x61, 0x62, 0x0a, id.length, ...id]);
    assert.equal(decodeIdentityCookie(bytes.toString('base64url')), ecid);
    assert.equal(decodeIdentityCookie('%%%'), undefined);
    assert.equal(decodeIdentityCookie(Buffer.from([0x0a, 0x03, 0x31, 0x32, 0x33]).toString('base64url')), undefined, '123 is not an ECID');
    assert.equal(decodeIdentityCookie(Buffer.from([0x0a, 0x50, 0x31]).toString('base64url')), undefined, 'a length past the end');
  });

  test('minted ECIDs are 38 digits and differ', () => {
    const a = mintEcid();
    assert.ok(isEcid(a));
    assert.notEqual(a, mintEcid());
  });

  test('cookie headers are split by name', () => {
    const cookies = parseCookies('a=1; kndctr_x_identity=abc-_; b=x=y');
    assert.equal(cookies.get('kndctr_x_identity'), 'abc-_');
    assert.equal(cookies.get('b'), 'x=y');
  });
});

describe('reading interact bodies', () => {
  test('the ECID comes from the state entry first, then a cookie, then the identityMap', () => {
    const [a, b, c] = [mintEcid(), mintEcid(), mintEcid()];
    const events = [{ xdm: { identityMap: { ECID: [{ id: c }], CRMID: [{ id: 'crm-1', authenticatedState: 'authenticated', primary: true }] } } }];
    const entry = { meta: { state: { entries: [{ key: `${PREFIX}_identity`, value: encodeIdentityCookie(a) }] } } };
    const cookies = new Map([[`${PREFIX}_identity`, encodeIdentityCookie(b)]]);
    assert.equal(readInteract({ events, ...entry }, { cookies, prefix: PREFIX }).ecid, a);
    assert.equal(readInteract({ events }, { cookies, prefix: PREFIX }).ecid, b);
    const fromMap = readInteract({ events }, { cookies: new Map(), prefix: PREFIX });
    assert.equal(fromMap.ecid, c);
    assert.deepEqual(fromMap.identities.find((i) => i.namespace === 'CRMID'), { namespace: 'CRMID', id: 'crm-1', primary: true, authenticatedState: 'authenticated' });
  });

  test('scopes, URL, referrer, Target params (not profile.*) and geo feed the decision context', () => {
    const read = readInteract(
      {
        events: [{
          xdm: { web: { webPageDetails: { URL: 'https://a.example/p?x=1' }, webReferrer: { URL: 'https://r.example/' } }, placeContext: { geo: { countryCode: 'FR', city: 'Lyon' } } },
          data: { __adobe: { target: { color: 'red', 'profile.age': 30 } } },
          query: { personalization: { decisionScopes: ['__view__', 'hero', 'hero'] } },
        }],
      },
      { cookies: new Map(), prefix: PREFIX, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile Safari/604.1' },
    );
    const { scopes, context } = read.events[0].input;
    assert.deepEqual(scopes, ['__view__', 'hero']);
    assert.deepEqual(context, { url: 'https://a.example/p?x=1', referrer: 'https://r.example/', deviceType: 'mobile', browser: 'safari', os: 'ios', params: { color: 'red' }, geo: { country: 'FR', city: 'Lyon' } });
  });

  test('each malformed event gets its own error with its index; good ones stay', () => {
    const read = readInteract({ events: [null, { xdm: [] }, { xdm: { eventType: 3 } }, { query: { personalization: { decisionScopes: 'hero' } } }, { xdm: {} }] }, { cookies: new Map(), prefix: PREFIX });
    assert.deepEqual(read.errors.map((e) => e.report.eventIndex), [0, 1, 2, 3]);
    assert.deepEqual(read.events.map((e) => e.index), [4]);
  });

  test('consent: Adobe 1.0 general out, 2.0 collect or personalize no, and the consent cookie', () => {
    const cookies = new Map<string, string>();
    assert.deepEqual(requestConsent({}, {}, cookies, PREFIX), { collect: true, personalize: true });
    assert.deepEqual(requestConsent({}, { consent: [{ standard: 'Adobe', version: '1.0', value: { general: 'out' } }] }, cookies, PREFIX), { collect: false, personalize: false });
    assert.deepEqual(requestConsent({ consent: { value: { collect: { val: 'y' }, personalize: { content: { val: 'n' } } } } }, {}, cookies, PREFIX), { collect: true, personalize: false });
    assert.deepEqual(requestConsent({}, {}, new Map([[`${PREFIX}_consent`, 'general%3Dout']]), PREFIX), { collect: false, personalize: false });
  });

  test('user agents are read roughly into device, browser and OS', () => {
    assert.deepEqual(parseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0'), { deviceType: 'desktop', browser: 'edge', os: 'windows' });
    assert.deepEqual(parseUserAgent('Mozilla/5.0 (Linux; Android 14) Firefox/121.0 Mobile'), { deviceType: 'mobile', browser: 'firefox', os: 'android' });
    assert.deepEqual(parseUserAgent(undefined), {});
  });

  test('identity handles carry the ECID, its cookie and the location hint', () => {
    const ecid = mintEcid();
    const handles = identityHandles(ecid, PREFIX);
    assert.deepEqual(handles.map((h) => h.type), ['identity:result', 'state:store', 'locationHint:result']);
    const cookie = (handles[1].payload as { key: string; value: string }[]).find((e) => e.key === `${PREFIX}_identity`);
    assert.equal(decodeIdentityCookie(cookie?.value ?? ''), ecid);
  });
});

describe('pipeline helpers', () => {
  test('pruneToSchema keeps schema fields, follows open maps and arrays, and names what it drops', () => {
    const tree = {
      eventType: { type: 'string' as const },
      identityMap: { type: 'object' as const, additionalProperties: { type: 'array' as const, items: { type: 'object' as const, properties: { id: { type: 'string' as const } } } } },
      web: { type: 'object' as const, properties: { webPageDetails: { type: 'object' as const, properties: { URL: { type: 'string' as const } } } } },
    };
    const dropped: string[] = [];
    const out = pruneToSchema({ eventType: 'x', identityMap: { ECID: [{ id: '1', extra: true }] }, web: { webPageDetails: { URL: 'u', name: 'n' } }, implementationDetails: {} }, tree, '', dropped);
    assert.deepEqual(out, { eventType: 'x', identityMap: { ECID: [{ id: '1' }] }, web: { webPageDetails: { URL: 'u' } } });
    assert.deepEqual(dropped.sort(), ['identityMap.ECID[0].extra', 'implementationDetails', 'web.webPageDetails.name']);
  });

  test('notification tokens are read from _experience.decisioning.propositions', () => {
    const xdm: JsonObject = { _experience: { decisioning: { propositions: [{ scopeDetails: { characteristics: { eventToken: 't1' } } }, { id: 'no token' }] } } };
    assert.deepEqual(notificationTokens(xdm), ['t1']);
    assert.deepEqual(notificationTokens({}), []);
  });

  test('edge audiences: this request decides edge audiences; others keep the projected status; inSegment sees earlier results', () => {
    const compiled = (id: string, pql: string) => ({ id, name: id, version: 1, expression: compileExpression(parseOrThrow(pql)) });
    const now = Date.parse('2026-11-23T10:00:00Z');
    const audiences = [
      compiled('viewed', 'chain(xEvent, timestamp, [A: WHAT(eventType = "view") WHEN(< 24 hours before now)])'),
      compiled('gold', 'loyalty.tier = "gold"'),
      compiled('both', 'inSegment("viewed") and inSegment("gold")'),
    ];
    const events = [{ eventType: 'view', timestamp: '2026-11-23T09:00:00Z' }];
    const result = evaluateEdgeAudiences(audiences, { profile: { loyalty: { tier: 'gold' } }, events, now }, { streamingOnly: 'existing', gold: 'existing' });
    assert.deepEqual(result.memberships, { streamingOnly: 'existing', gold: 'existing', viewed: 'realized', both: 'realized' });
    assert.deepEqual(result.qualified, ['viewed', 'gold', 'both']);
    const later = evaluateEdgeAudiences(audiences, { profile: {}, events, now: now + 2 * 86_400_000 }, result.memberships);
    assert.deepEqual(later.memberships, { streamingOnly: 'existing' }, 'edge audiences exit when their condition no longer holds');
  });

  test('recent events: the window, the per-visitor cap, bulky groups left out, and the byte budget', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    const recent = new RecentEvents({ maxVisitors: 10, perVisitor: 3, maxBytes: 400 });
    const at = (h: number) => new Date(now - h * 3600_000).toISOString();
    recent.add('s', 'v1', [{ eventType: 'old', timestamp: at(30) }, { eventType: 'a', timestamp: at(3), device: { screenWidth: 1 } }], now);
    recent.add('s', 'v1', [{ eventType: 'b', timestamp: at(2) }, { eventType: 'c', timestamp: at(1) }, { eventType: 'd', timestamp: at(0) }], now);
    assert.deepEqual(recent.get('s', 'v1', now).map((e) => e.eventType), ['b', 'c', 'd'], 'three at most, none older than 24 hours');
    recent.add('s', 'v2', [{ eventType: 'x', timestamp: at(0), device: { screenWidth: 1 } }], now);
    assert.deepEqual(recent.get('s', 'v2', now), [{ eventType: 'x', timestamp: at(0) }], 'device data is not held');
    assert.deepEqual(recent.get('other', 'v2', now), [], 'per sandbox');
    for (let i = 0; i < 10; i++) recent.add('s', `w${i}`, [{ eventType: 'e'.repeat(50), timestamp: at(0) }], now);
    assert.ok(recent.stats().bytes <= 400, 'the byte budget holds');
    assert.deepEqual(recent.get('s', 'v1', now), [], 'the least recent visitor left first');
  });
});
