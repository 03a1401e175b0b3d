import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { bootstrapPlatform, openPlatform } from '../../app/platform.ts';
import { identityKey } from '../../identity/graph.ts';
import { ManualClock } from './clock.ts';
import { keepEdgeMembershipsFresh } from './edge-freshness.ts';
import type { MembershipListener } from './streaming.ts';
import type { Membership } from './store.ts';

const HOUR = 3_600_000;

/** Waits (a few milliseconds at most) for background work the test cannot await directly. */
async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`never happened: ${what}`);
}

test('the edge view follows membership changes, not only attribute changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-edge-fresh-'));
  const t0 = Date.now();
  const clock = new ManualClock(t0);
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_edge_fresh_key_0123456789' }), { clock });
  try {
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const bought = await platform.audiences.create(sandbox, {
      name: 'bought recently',
      expression: { type: 'PQL', format: 'pql/text', value: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases") WHEN(< 3 hours before now)])' },
    });
    await platform.ingest.accept(sandbox.id, crm, [{ crm: { crmId: 'C1' }, loyalty: { tier: 'gold' } }], { source: 'test' });
    await platform.settleProfiles();
    const key = identityKey('CRMID', 'C1');
    assert.deepEqual((await platform.edgeProjection.get(sandbox.id, key))?.memberships, {}, 'held at the edge, in no audience yet');

    // A purchase event changes no attribute: only the membership change can refresh the view.
    await platform.ingest.accept(sandbox.id, web, [{ _id: 'p1', timestamp: new Date(t0).toISOString(), eventType: 'commerce.purchases', identityMap: { CRMID: [{ id: 'C1' }] } }], { source: 'test' });
    await platform.settleProfiles();
    const misses = platform.edgeProjection.stats().misses;
    await eventually(async () => (await platform.edgeProjection.get(sandbox.id, key))?.memberships[bought.id] === 'realized', 'the edge view shows the entry');
    assert.equal(platform.edgeProjection.stats().misses, misses, 'served from the refreshed held view, not re-read on a miss');

    // The timed exit reaches the edge too.
    await clock.advance(3 * HOUR + 1);
    await platform.membershipTimers.idle();
    await platform.settleProfiles();
    await eventually(async () => (await platform.edgeProjection.get(sandbox.id, key))?.memberships[bought.id] === undefined, 'the edge view drops the exit');
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('membership changes of a sandbox whose people are not held at the edge read no identities', async () => {
  let listener: MembershipListener | undefined;
  const streaming = { onChange: (l: MembershipListener) => void (listener = l) };
  const ownerReads: string[][] = [];
  const owners = {
    keysOfProfiles: async (_sandboxId: string, profileIds: readonly string[]) => {
      ownerReads.push([...profileIds]);
      return new Map(profileIds.map((id) => [id, [identityKey('ECID', `e-${id}`)]]));
    },
  };
  const held = new Set<string>();
  const refreshed: string[][] = [];
  keepEdgeMembershipsFresh(streaming, owners, {
    holdsAnyone: (sandboxId) => held.has(sandboxId),
    refresh: async (_sandboxId, keys) => void refreshed.push([...keys]),
  });
  const entry = (profileId: string): Membership => ({ profileId, audienceId: 'a1', status: 'realized', lastQualificationTime: 1, updatedAt: 1 });

  listener?.('s1', [entry('g1'), entry('g2')]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ownerReads, [], 'nobody of s1 is held: nothing read');

  held.add('s1');
  listener?.('s1', [entry('g1'), entry('g1'), entry('g2')]);
  await eventually(async () => refreshed.length === 1, 'the refresh of the held sandbox');
  assert.deepEqual(ownerReads, [['g1', 'g2']]);
  assert.deepEqual(refreshed, [[identityKey('ECID', 'e-g1'), identityKey('ECID', 'e-g2')]]);
});
