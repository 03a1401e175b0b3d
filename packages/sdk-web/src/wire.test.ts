/** The SDK's pure pieces: reading the edge's identity cookie, cookie names, and XDM merging. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeIdentityCookie, mintEcid } from '../../server/src/edge/interact/identity-cookie.ts';
import { cookiePrefix, ecidFromIdentityCookie } from './cookies.ts';
import { deepMerge, eventId, uuid } from './context.ts';

test('the SDK reads the ECID out of any identity cookie the edge writes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (createdAt) => {
      const ecid = mintEcid();
      assert.equal(ecidFromIdentityCookie(encodeIdentityCookie(ecid, createdAt)), ecid);
    }),
    { numRuns: 200 },
  );
});

test('a cookie of another shape yields no ECID (the SDK then asks the edge)', () => {
  const truncated = Buffer.from([0x0a, 0x05, 0x61, 0x62, 0x63]).toString('base64url'); // says 5 bytes, has 3
  for (const value of ['', 'not base64 at all!', btoa('plain text'), truncated]) assert.equal(ecidFromIdentityCookie(value), undefined, value);
  assert.equal(ecidFromIdentityCookie(Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63]).toString('base64url')), 'abc');
});

test('cookie names follow the org id with @ as _', () => {
  assert.equal(cookiePrefix('53A16ACB5CC1D3760A495C99@AdobeOrg'), 'kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg');
  assert.equal(cookiePrefix('Meridian@AdobeOrg'), 'kndctr_Meridian_AdobeOrg');
});

test("the caller's XDM wins over the SDK's context, object by object", () => {
  const context = { web: { webPageDetails: { URL: 'https://shop.example/', name: 'auto' } }, device: { screenWidth: 1 } };
  const merged = deepMerge(context, { web: { webPageDetails: { name: 'home' } }, device: 'replaced', eventType: 'x' });
  assert.deepEqual(merged, { web: { webPageDetails: { URL: 'https://shop.example/', name: 'home' } }, device: 'replaced', eventType: 'x' });
});

test('event ids are version 7 UUIDs that sort by time; request ids stay random version 4 UUIDs', () => {
  const t = Date.parse('2026-11-24T12:00:00Z');
  const ids = [t, t + 1, t + 3_600_000].map((at) => eventId(at));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(ids[0].replace(/-/g, '').slice(0, 12), t.toString(16).padStart(12, '0'));
  assert.equal(new Set(Array.from({ length: 1000 }, () => eventId(t))).size, 1000);
  assert.match(uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
