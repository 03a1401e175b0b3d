import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryEvent } from '../types.ts';
import { contactOperations } from './contacts.ts';
import { retryAfterSeconds } from './send.ts';
import { emailMembers, memberEmails } from './index.ts';

function change(profileId: string, audience: string, status: 'realized' | 'existing' | 'exited', emails: string[], others: Record<string, string> = {}): DeliveryEvent {
  const ups: DeliveryEvent['segmentMembership']['ups'] = {};
  for (const [id, s] of Object.entries(others)) ups[id] = { status: s, lastQualificationTime: '2026-11-01T00:00:00.000Z' };
  ups[`aud_${audience}`] = { status, lastQualificationTime: '2026-11-01T00:00:00.000Z' };
  return {
    id: `${profileId}:${audience}:${status}`,
    activationId: 'act_1',
    profileId,
    audience: { id: `aud_${audience}`, name: audience, status, lastQualificationTime: '2026-11-01T00:00:00.000Z' },
    attributes: { FNAME: profileId },
    identities: { Email: emails },
    segmentMembership: { ups },
    timestamp: '2026-11-01T00:00:00.000Z',
  };
}

test('an entry upserts the contact with its attributes and the audience tag; leaving every audience removes it', () => {
  const ops = contactOperations([change('p1', 'gold', 'realized', ['ann@example.com']), change('p2', 'gold', 'exited', ['bob@example.com'])], (e) => e.identities.Email);
  assert.deepEqual(ops, [
    { contact: 'ann@example.com', action: 'upsert', fields: { FNAME: 'p1' }, tags: { gold: true } },
    { contact: 'bob@example.com', action: 'remove' },
  ]);
});

test('an exit while still a member of another mapped audience only untags the contact', () => {
  const ops = contactOperations([change('p1', 'gold', 'exited', ['ann@example.com'], { aud_vip: 'existing' })], (e) => e.identities.Email);
  assert.deepEqual(ops, [{ contact: 'ann@example.com', action: 'upsert', fields: { FNAME: 'p1' }, tags: { gold: false } }]);
});

test('several changes of one contact in a batch become one operation: tags merge, the latest change wins', () => {
  const e = (x: DeliveryEvent) => x.identities.Email;
  const merged = contactOperations([change('p1', 'gold', 'realized', ['a@x.io']), change('p1', 'vip', 'realized', ['a@x.io'], { aud_gold: 'realized' })], e);
  assert.deepEqual(merged, [{ contact: 'a@x.io', action: 'upsert', fields: { FNAME: 'p1' }, tags: { gold: true, vip: true } }]);
  const removed = contactOperations([change('p1', 'gold', 'realized', ['a@x.io']), change('p1', 'gold', 'exited', ['a@x.io'])], e);
  assert.deepEqual(removed, [{ contact: 'a@x.io', action: 'remove' }]);
});

test('emails are normalized by the Email namespace rules; invalid ones are dropped; hashed-only emails are a permanent configuration error', () => {
  assert.deepEqual(memberEmails(change('p1', 'gold', 'realized', ['  Ann@Example.COM ', 'ann@example.com', 'not-an-email'])), ['ann@example.com']);
  assert.deepEqual(emailMembers([change('p1', 'gold', 'realized', ['no email here'])], 'subscribed'), []);
  const hashed = { ...change('p1', 'gold', 'realized', []), identities: { Email_LC_SHA256: ['ab'.repeat(32)] } };
  assert.throws(() => memberEmails(hashed), (err: Error & { retryable?: boolean }) => err.retryable === false && /hashed: false/.test(err.message));
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  assert.equal(retryAfterSeconds('7'), 7);
  assert.equal(retryAfterSeconds('Mon, 23 Nov 2026 02:00:30 GMT', Date.parse('2026-11-23T02:00:00Z')), 30);
  assert.equal(retryAfterSeconds('Mon, 23 Nov 2026 01:00:00 GMT', Date.parse('2026-11-23T02:00:00Z')), 0);
  assert.equal(retryAfterSeconds('soon'), undefined);
  assert.equal(retryAfterSeconds(null), undefined);
});
