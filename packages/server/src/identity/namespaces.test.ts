import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashedVariant, normalizeIdentity, normalizePhone, standardNamespace } from './namespaces.ts';
import { extractIdentities } from './extract.ts';

const ns = (code: string) => standardNamespace(code)!;

test('emails are trimmed and lower-cased; phones keep a leading + and digits only', () => {
  assert.deepEqual(normalizeIdentity(ns('Email'), '  Ann@Example.COM '), { ok: true, value: 'ann@example.com' });
  assert.equal(normalizePhone(' +1 (555) 123-4567 '), '+15551234567');
  assert.deepEqual(normalizeIdentity(ns('Phone'), '(555) 123 4567'), { ok: true, value: '5551234567' });
});

test('values that break the namespace rules are refused with a reason', () => {
  assert.match((normalizeIdentity(ns('ECID'), '1234') as { reason: string }).reason, /38 digits/);
  assert.match((normalizeIdentity(ns('Email'), 'nobody') as { reason: string }).reason, /not an email/);
  assert.match((normalizeIdentity(ns('Phone'), 'call me') as { reason: string }).reason, /not a phone/);
  assert.match((normalizeIdentity(ns('CRMID'), 'x'.repeat(1025)) as { reason: string }).reason, /at most 1024/);
  assert.match((normalizeIdentity(ns('Email_LC_SHA256'), 'abc') as { reason: string }).reason, /pattern/);
  assert.equal(normalizeIdentity(ns('CRMID'), 42).ok, false);
});

test('hashed variants are SHA-256 of the normalized value', () => {
  const expected = createHash('sha256').update('ann@example.com').digest('hex');
  assert.deepEqual(hashedVariant('Email', 'ann@example.com'), { namespace: 'Email_LC_SHA256', value: expected });
  assert.equal(hashedVariant('Phone', '+15551234567')!.value, createHash('sha256').update('15551234567').digest('hex'));
  assert.equal(hashedVariant('CRMID', 'x'), undefined);
});

test('normalization is idempotent for every namespace and any input', () => {
  fc.assert(
    fc.property(fc.constantFrom('ECID', 'Email', 'Phone', 'CRMID', 'GAID'), fc.string({ maxLength: 60 }), (code, raw) => {
      const once = normalizeIdentity(ns(code), raw);
      if (once.ok) assert.deepEqual(normalizeIdentity(ns(code), once.value), once);
    }),
    { numRuns: 500 },
  );
});

test('a record gives its identityMap and schema identity fields; a bad value is named and the rest still count', () => {
  const { identities, errors } = extractIdentities(
    {
      crm: { crmId: 'C-1' },
      personalEmail: { address: 'Ann@Example.com' },
      identityMap: { ECID: [{ id: 'short' }], Email: [{ id: 'ann@example.com', primary: true }], Nope: [{ id: 'x' }] },
    },
    [
      { path: 'crm.crmId', namespace: 'CRMID', primary: true },
      { path: 'personalEmail.address', namespace: 'Email' },
    ],
    standardNamespace,
  );
  assert.deepEqual(identities.map((i) => `${i.namespace}:${i.value}:${i.primary}`), ['CRMID:C-1:true', 'Email:ann@example.com:true']);
  assert.deepEqual(errors.map((e) => e.path), ['identityMap.ECID[0].id', 'identityMap.Nope[0].id']);
});
