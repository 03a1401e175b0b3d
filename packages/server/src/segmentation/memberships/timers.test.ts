import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { bootstrapPlatform, openPlatform, type Platform } from '../../app/platform.ts';
import { identityKey } from '../../identity/graph.ts';
import { ManualClock } from './clock.ts';
import type { Membership } from './store.ts';
import type { Dataset } from '../../catalog/model.ts';

const HOUR = 3_600_000;
const pql = (value: string) => ({ type: 'PQL' as const, format: 'pql/text' as const, value });
const BOUGHT_IN_3_HOURS = 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases") WHEN(< 3 hours before now)])';
const VIEWED_NOT_BOUGHT_LATELY =
  'chain(xEvent, timestamp, [A: WHAT(eventType = "web.webpagedetails.pageViews") WHEN(< 24 hours before now)]) and not chain(xEvent, timestamp, [B: WHAT(eventType = "commerce.purchases") WHEN(< 1 hours before now)])';
const ecid = (n: number) => String(n).padStart(38, '0');

/** Person `n` viewed a page 20 minutes before `t0` and bought 10 minutes before it. */
async function viewedThenBought({ platform, sandbox, t0, web }: OnClock, n: number): Promise<void> {
  const at = (minutesAgo: number) => new Date(t0 - minutesAgo * 60_000).toISOString();
  const identityMap = { ECID: [{ id: ecid(n) }] };
  await platform.ingest.accept(sandbox.id, web, [
    { _id: `v${n}`, timestamp: at(20), eventType: 'web.webpagedetails.pageViews', identityMap },
    { _id: `b${n}`, timestamp: at(10), eventType: 'commerce.purchases', identityMap },
  ], { source: 'test' });
  await settle(platform);
}

async function open(dir: string, clock: ManualClock) {
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_BATCH_WARM_WORKER: 'false', MERIDIAN_ADMIN_KEY: 'mrd_timer_test_key_0123456789' }), { clock });
  await bootstrapPlatform(platform);
  const sandbox = await platform.tenancy.getSandbox('prod');
  return { platform, sandbox };
}

async function settle(platform: Platform) {
  await platform.settleProfiles();
  await platform.membershipTimers.idle();
  await platform.streamingAudiences.idle();
}

interface OnClock {
  platform: Platform;
  sandbox: Awaited<ReturnType<typeof open>>['sandbox'];
  clock: ManualClock;
  t0: number;
  web: Dataset;
}

/** A platform in a fresh data directory on a manual clock at `t0` (now), with a profile-enabled event dataset; closed and removed after `body`. */
async function onManualClock(body: (on: OnClock) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-timers-'));
  const t0 = Date.now();
  const clock = new ManualClock(t0);
  const { platform, sandbox } = await open(dir, clock);
  try {
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    await body({ platform, sandbox, clock, t0, web });
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('someone who bought in the last 3 hours exits when the 3 hours pass, by one timer and no rescan', () =>
  onManualClock(async ({ platform, sandbox, clock, t0, web }) => {
    const bought = await platform.audiences.create(sandbox, { name: 'bought recently', expression: pql(BOUGHT_IN_3_HOURS) });
    const heard: Membership[] = [];
    platform.streamingAudiences.onChange((_s, changes) => heard.push(...changes));
    const purchase = (n: number, minutesAgo: number) => ({
      _id: `p${n}`,
      timestamp: new Date(t0 - minutesAgo * 60_000).toISOString(),
      eventType: 'commerce.purchases',
      identityMap: { ECID: [{ id: ecid(n) }] },
    });
    await platform.ingest.accept(sandbox.id, web, [purchase(1, 10), purchase(2, 60)], { source: 'test' });
    await settle(platform);
    const members = async () => (await platform.memberships.members(sandbox.id, bought.id, { limit: 10 })).length;
    assert.equal(await members(), 2);
    assert.equal(clock.pending(), 1, 'one timer for the earliest due time, not one per person');

    await clock.advance(HOUR);
    await settle(platform);
    assert.equal(await members(), 2, 'an hour later both still bought within 3 hours');

    await clock.advance(HOUR); // person 2 bought 3 h 0 min ago now
    await settle(platform);
    assert.equal(await members(), 1, 'the purchase of an hour before the start has left the window');
    assert.deepEqual(heard.filter((m) => m.status === 'exited').map((m) => m.audienceId), [bought.id]);

    await clock.advance(51 * 60_000);
    await settle(platform);
    assert.equal(await members(), 0);
    assert.equal(heard.filter((m) => m.status === 'exited').length, 2);
    // The engine's next-change instant is conservative (a window edge is re-checked 1 ms after it
    // passes), so each person may be looked at twice; never a rescan of everyone.
    const fired = platform.membershipTimers.firedCount;
    assert.ok(fired >= 2 && fired <= 4, `only the two due people were re-evaluated (${fired} firings)`);
    assert.equal(clock.pending(), 0, 'nothing left to wait for');

    // A new purchase brings the person back, with a new due time.
    await platform.ingest.accept(sandbox.id, web, [{ ...purchase(1, 0), _id: 'p1b', timestamp: new Date(clock.now()).toISOString() }], { source: 'test' });
    await settle(platform);
    assert.equal(await members(), 1);
    assert.equal(clock.pending(), 1);
  }));

test('a batch job that qualifies someone for a time-based audience hands them to streaming: they exit when the window passes', () =>
  onManualClock(async ({ platform, sandbox, clock, t0, web }) => {
    // The purchase arrives before the audience exists: streaming has nothing to evaluate it for.
    const purchase = { _id: 'p1', timestamp: new Date(t0 - 10 * 60_000).toISOString(), eventType: 'commerce.purchases', identityMap: { ECID: [{ id: ecid(1) }] } };
    await platform.ingest.accept(sandbox.id, web, [purchase], { source: 'test' });
    await settle(platform);
    const bought = await platform.audiences.create(sandbox, { name: 'bought recently', expression: pql(BOUGHT_IN_3_HOURS) });
    const members = async () => (await platform.memberships.members(sandbox.id, bought.id, { limit: 10 })).map((m) => m.status);
    assert.deepEqual(await members(), []);
    assert.equal(clock.pending(), 0);

    const job = await platform.audienceJobs.submit(sandbox.id, { audienceIds: [bought.id] }, 'api');
    await platform.audienceJobs.idle();
    assert.equal((await platform.audienceJobs.get(sandbox.id, job.id)).audiences?.[0]?.realized, 1, 'the job qualified the person');
    await settle(platform);
    assert.deepEqual(await members(), ['existing'], 'the streaming pass it handed them to found them staying');
    assert.equal(clock.pending(), 1, 'and the streaming pass it handed them to armed their exit');

    await clock.advance(3 * HOUR);
    await settle(platform);
    assert.deepEqual(await members(), [], 'three hours after the purchase, out');
    const exited = await platform.memberships.forProfile(sandbox.id, (await platform.profiles.lookup(sandbox.id, 'ECID', ecid(1)))!.profileId);
    assert.deepEqual(exited.map((m) => [m.audienceId, m.status]), [[bought.id, 'exited']]);
  }));

test('entries happen with time too: "viewed, and no purchase in the last hour" qualifies when the hour passes', () =>
  onManualClock(async (on) => {
    const { platform, sandbox, clock } = on;
    const lapsed = await platform.audiences.create(sandbox, {
      name: 'viewed but not bought lately',
      expression: pql(VIEWED_NOT_BOUGHT_LATELY),
    });
    await viewedThenBought(on, 9);
    const members = async () => (await platform.memberships.members(sandbox.id, lapsed.id, { limit: 10 })).length;
    assert.equal(await members(), 0, 'bought 10 minutes ago');
    await clock.advance(45 * 60_000);
    await settle(platform);
    assert.equal(await members(), 0, 'bought 55 minutes ago');
    await clock.advance(6 * 60_000);
    await settle(platform);
    assert.equal(await members(), 1, 'the purchase left the hour: the person enters with no new data');
  }));

test('a batch job that leaves someone outside an audience they will enter with time alone arms their entry', () =>
  onManualClock(async (on) => {
    const { platform, sandbox, clock } = on;
    // The events arrive before the audience exists: no streaming pass ever evaluated this person for it.
    await viewedThenBought(on, 7);
    const lapsed = await platform.audiences.create(sandbox, { name: 'viewed but not bought lately', expression: pql(VIEWED_NOT_BOUGHT_LATELY) });
    const members = async () => (await platform.memberships.members(sandbox.id, lapsed.id, { limit: 10 })).length;

    const job = await platform.audienceJobs.submit(sandbox.id, { audienceIds: [lapsed.id] }, 'api');
    await platform.audienceJobs.idle();
    assert.equal((await platform.audienceJobs.get(sandbox.id, job.id)).audiences?.[0]?.total, 0, 'bought 10 minutes ago: not a member now');
    await settle(platform);
    assert.equal(await members(), 0);
    assert.equal(clock.pending(), 1, 'the job looked ahead and handed the person to streaming, which armed the entry');

    await clock.advance(51 * 60_000);
    await settle(platform);
    assert.equal(await members(), 1, 'the purchase left the hour: the person enters with no new data and no second job');
  }));

test('due times survive a restart and overdue exits fire at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-timers-'));
  const t0 = Date.now();
  let { platform, sandbox } = await open(dir, new ManualClock(t0));
  try {
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const bought = await platform.audiences.create(sandbox, { name: 'bought recently', expression: pql(BOUGHT_IN_3_HOURS) });
    await platform.ingest.accept(sandbox.id, web, [{ _id: 'p', timestamp: new Date(t0).toISOString(), eventType: 'commerce.purchases', identityMap: { ECID: [{ id: ecid(7) }] } }], { source: 'test' });
    await settle(platform);
    const profile = await platform.profiles.members(sandbox.id, identityKey('ECID', ecid(7)), await platform.profiles.policy(sandbox.id));
    assert.notEqual((await platform.memberships.get(sandbox.id, profile!.profileId, bought.id))?.status ?? 'exited', 'exited', 'a member before the restart');
    await platform.close();

    const later = new ManualClock(t0 + 4 * HOUR);
    ({ platform, sandbox } = await open(dir, later));
    await later.advance(0);
    await settle(platform);
    assert.equal((await platform.memberships.get(sandbox.id, profile!.profileId, bought.id))?.status, 'exited', 'the overdue exit fired at start');
    assert.equal(later.pending(), 0);
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
