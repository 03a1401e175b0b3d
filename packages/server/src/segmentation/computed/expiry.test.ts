import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { bootstrapPlatform, openPlatform, type Platform } from '../../app/platform.ts';
import { ManualClock } from '../memberships/clock.ts';
import { identityKey } from '../../identity/graph.ts';
import { parseOrThrow } from '../pql/index.ts';
import { compileExpression } from '../evaluate/index.ts';
import { loadPqlInput, preparePqlInput } from '../sql/input-layout.ts';
import { evaluateForProfile, openPqlDatabase } from '../sql/test-support.ts';
import type { JsonObject } from '../../storage/json.ts';

const DAY = 86_400_000;
const pql = (value: string) => ({ type: 'PQL' as const, format: 'pql/text' as const, value });
const ecid = (n: number) => String(n).padStart(38, '0');
const TWO_IN_A_WEEK = 'computedAttributes.purchases7d >= 2';

async function settle(platform: Platform) {
  await platform.settleProfiles();
  await platform.computedAttributes.idle();
  await platform.streamingAudiences.idle();
}

test('values expire as events age out of the window (on read and by the sweep), and audiences that read them follow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-computed-'));
  const t0 = Date.now();
  const clock = new ManualClock(t0);
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_computed_test_key_0123456789' }), { clock });
  try {
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    await platform.computedAttributes.create(sandbox, { name: 'purchases7d', expression: pql('xEvent[eventType = "commerce.purchases"].count()'), duration: { count: 7, unit: 'DAYS' } });
    await platform.computedAttributes.create(sandbox, { name: 'spend7d', expression: pql('xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'), duration: { count: 1, unit: 'WEEKS' } });
    const regulars = await platform.audiences.create(sandbox, { name: 'two purchases a week', expression: pql(TWO_IN_A_WEEK) });
    const purchase = (person: number, id: string, at: number, total: number) => ({
      _id: id, timestamp: new Date(at).toISOString(), eventType: 'commerce.purchases', identityMap: { ECID: [{ id: ecid(person) }] }, commerce: { order: { priceTotal: total } },
    });
    const profileOf = async (person: number) => (await platform.profiles.lookup(sandbox.id, 'ECID', ecid(person)))!;
    const membership = async (person: number) => (await profileOf(person)).segmentMembership.ups[regulars.id]?.status;

    const accepted = await platform.ingest.accept(sandbox.id, web, [
      purchase(1, 'a1', t0 - 6 * DAY, 30), purchase(1, 'a2', t0 - DAY, 20),
      purchase(2, 'b1', t0 - 6 * DAY, 70), purchase(2, 'b2', t0 - DAY, 5),
    ], { source: 'test' });
    assert.equal(accepted.accepted, 4, JSON.stringify(accepted));
    await settle(platform);
    assert.deepEqual((await profileOf(1)).computedAttributes, { purchases7d: 2, spend7d: 50 });
    assert.deepEqual((await profileOf(2)).computedAttributes, { purchases7d: 2, spend7d: 75 });
    assert.equal(await membership(1), 'realized');
    assert.equal(await membership(2), 'realized');

    // The same document feeds the SQL engine: a batch job reading merged profiles sees the same path.
    const db = await openPqlDatabase();
    try {
      const p1 = await profileOf(1);
      await loadPqlInput(db.connection, [{ profileId: p1.profileId, attributes: p1.attributes, events: [] }]);
      await preparePqlInput(db.connection);
      assert.equal(await evaluateForProfile(db.connection, parseOrThrow(TWO_IN_A_WEEK), p1.profileId, clock.now(), 'audience'), true);
      assert.equal(await evaluateForProfile(db.connection, parseOrThrow('computedAttributes.spend7d'), p1.profileId, clock.now(), 'value'), 50);
      assert.equal(compileExpression(parseOrThrow(TWO_IN_A_WEEK)).matches({ profile: p1.attributes as JsonObject, events: [], now: clock.now() }), true);
    } finally {
      db.close();
    }

    // A day and a half later the 6-day-old purchases are 7.5 days old.
    await clock.advance(1.5 * DAY);
    // Person 1 is read before any sweep: the value is re-aggregated on read, and the audience hears of it.
    assert.deepEqual((await profileOf(1)).computedAttributes, { purchases7d: 1, spend7d: 20 });
    await settle(platform);
    assert.equal(await membership(1), 'exited');
    // Person 2 nobody reads: the sweep finds the expired value and moves the audience.
    assert.equal(await platform.computedAttributes.sweep(), 2, 'two values of person 2 were due');
    await settle(platform);
    assert.equal(await membership(2), 'exited');
    assert.deepEqual((await profileOf(2)).computedAttributes, { purchases7d: 1, spend7d: 5 });
    assert.equal(await platform.computedAttributes.sweep(), 0, 'nothing is due until the next purchase leaves');

    // A new purchase is added to what is kept, without the aged-out one coming back.
    await platform.ingest.accept(sandbox.id, web, [purchase(2, 'b3', clock.now(), 12.5)], { source: 'test' });
    await settle(platform);
    assert.deepEqual((await profileOf(2)).computedAttributes, { purchases7d: 2, spend7d: 17.5 });
    assert.equal(await membership(2), 'realized');

    // A changed definition recomputes from the timeline: a 30-day window brings the old purchases back.
    const [, spend] = await platform.computedAttributes.list(sandbox.id);
    await platform.computedAttributes.update(sandbox, spend.id, { duration: { count: 30, unit: 'DAYS' } });
    assert.equal((await profileOf(2)).computedAttributes.spend7d, 87.5);

    // A privacy delete removes the person's values with them.
    const p2 = await profileOf(2);
    await platform.computedAttributes.forgetProfile(sandbox.id, p2.profileId, [identityKey('ECID', ecid(2))]);

    // The periodic sweep (every 10 ms here) finds person 1's values when their last purchase ages out.
    await clock.advance(30 * DAY);
    platform.computedAttributes.start(10);
    const rows = () => platform.db.prepare('SELECT profile_id AS profileId, value, expires_at AS expiresAt FROM computed_attribute_values ORDER BY attribute_id').all() as { profileId: string; value: string; expiresAt: number | null }[];
    for (let i = 0; i < 200 && rows().some((r) => r.expiresAt !== null); i++) await new Promise((r) => setTimeout(r, 10));
    const p1 = (await platform.profiles.lookup(sandbox.id, 'ECID', ecid(1)))!.profileId;
    assert.deepEqual(rows().map((r) => [r.profileId, r.expiresAt]), [[p1, null], [p1, null]], "person 2's values went with the privacy delete; person 1's have nothing left to expire");
    assert.deepEqual((await profileOf(1)).computedAttributes, { purchases7d: 0, spend7d: 0 });
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
