import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, type IdentityKey } from '../../identity/graph.ts';
import type { MergePolicy } from '../../profile/merge-policy.ts';
import type { AssembleOptions, MergedProfile, ProfileMembers, ProfileService } from '../../profile/service.ts';
import type { JsonObject } from '../../storage/json.ts';
import { audienceFixture } from '../audiences/audience-fixture.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import type { Membership, MembershipStore } from './store.ts';
import { StreamingAudiences } from './streaming.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const DAY = 86_400_000;
const POLICY: MergePolicy = {
  id: 'mp1',
  name: 'default',
  schema: { name: '_xdm.context.profile' },
  identityGraph: { type: 'none' },
  attributeMerge: { type: 'timestampOrdered' },
  default: true,
  isActiveOnEdge: true,
  version: 1,
  updateEpoch: 0,
};

const audience = (id: string, text: string) => audienceFixture(id, text, { mergePolicyId: POLICY.id });

/** A profile source that records what each evaluation asked for. */
class RecordingProfiles {
  readonly eventReads: { from?: number }[] = [];
  readonly assembles: AssembleOptions[] = [];
  constructor(private readonly attributes: JsonObject, private readonly events: JsonObject[]) {}
  async policy() {
    return POLICY;
  }
  async membersMany(_sandboxId: string, keys: readonly IdentityKey[]) {
    return new Map(keys.map((key) => [key, { profileId: key, keys: [key] }]));
  }
  async assembleMany(_sandboxId: string, people: readonly ProfileMembers[], policy: MergePolicy, options: AssembleOptions = {}): Promise<MergedProfile[]> {
    this.assembles.push(options);
    return people.map(({ profileId }) => {
      const attributes: JsonObject = structuredClone(this.attributes);
      if (!options.parts || options.parts.includes('computedAttributes')) attributes.computedAttributes = { purchases30d: 3 };
      return { profileId, mergePolicyId: policy.id, identities: [], attributes, segmentMembership: { ups: {} }, computedAttributes: {}, lastUpdated: 0 };
    });
  }
  async eventsOfPeople(_sandboxId: string, people: readonly (readonly IdentityKey[])[], _limit: number, options: { from?: number } = {}) {
    this.eventReads.push(options);
    return people.map(() => this.events.filter((e) => options.from === undefined || Date.parse(String(e.timestamp)) >= options.from));
  }
}

class MemoryMemberships {
  readonly rows = new Map<string, Membership>();
  async forProfiles(_sandboxId: string, profileIds: readonly string[]) {
    return [...this.rows.values()].filter((m) => profileIds.includes(m.profileId));
  }
  async put(_sandboxId: string, memberships: readonly Membership[]) {
    for (const m of memberships) this.rows.set(`${m.profileId}/${m.audienceId}`, m);
  }
}

function streamingOver(audiences: Audience[], profiles: RecordingProfiles) {
  const audienceService = { list: async () => audiences };
  const memberships = new MemoryMemberships();
  const streaming = new StreamingAudiences(
    audienceService as unknown as AudienceService,
    memberships as unknown as MembershipStore,
    profiles as unknown as ProfileService,
  );
  return { streaming, memberships };
}

const purchase = (daysAgo: number): JsonObject => ({ eventType: 'commerce.purchases', timestamp: new Date(NOW - daysAgo * DAY).toISOString() });

test('a pass whose audiences read only profile attributes reads no events and no enrichments', async () => {
  const profiles = new RecordingProfiles({ loyalty: { tier: 'gold' } }, [purchase(1)]);
  const { streaming } = streamingOver([audience('gold', 'loyalty.tier = "gold"')], profiles);
  const changes = await streaming.evaluate('s1', [identityKey('ECID', '1')], NOW);
  assert.deepEqual(changes.map((c) => [c.audienceId, c.status]), [['gold', 'realized']]);
  assert.deepEqual(profiles.eventReads, []);
  assert.deepEqual(profiles.assembles, [{ parts: [] }]);
});

test('events are read only back to the longest lookback (plus slack), and an open window reads them all', async () => {
  const events = [purchase(1), purchase(20)];
  const bounded = new RecordingProfiles({}, events);
  const week = streamingOver([audience('recent', 'xEvent[eventType = "commerce.purchases" and timestamp occurs < 7 days before now].count() > 0')], bounded);
  assert.deepEqual((await week.streaming.evaluate('s1', [identityKey('ECID', '1')], NOW)).map((c) => c.audienceId), ['recent']);
  assert.equal(bounded.eventReads.length, 1);
  const from = bounded.eventReads[0].from;
  assert.ok(from !== undefined && from <= NOW - 7 * DAY && from >= NOW - 10 * DAY, `reads from ${from}`);

  const open = new RecordingProfiles({}, events);
  const ever = streamingOver([audience('recent', 'xEvent[eventType = "commerce.purchases" and timestamp occurs < 7 days before now].count() > 0'), audience('ever', 'xEvent.count() >= 2')], open);
  const changes = await ever.streaming.evaluate('s1', [identityKey('ECID', '1')], NOW);
  assert.deepEqual(changes.map((c) => c.audienceId).sort(), ['ever', 'recent'], 'the 20-day-old event still counts for the open window');
  assert.deepEqual(open.eventReads, [{}]);
});

test('the profile is enriched exactly when an audience reads computed attributes', async () => {
  const profiles = new RecordingProfiles({}, []);
  const { streaming } = streamingOver([audience('buyers', 'computedAttributes.purchases30d > 2')], profiles);
  const changes = await streaming.evaluate('s1', [identityKey('ECID', '1')], NOW);
  assert.deepEqual(changes.map((c) => c.audienceId), ['buyers']);
  assert.deepEqual(profiles.assembles, [{ parts: ['computedAttributes'] }]);
  assert.deepEqual(profiles.eventReads, [], 'computed attributes are read from the profile, not from events');
});

test('calls made while a pass waits its turn join that pass; a call with its own time never does', async () => {
  const profiles = new RecordingProfiles({ loyalty: { tier: 'gold' } }, []);
  const { streaming } = streamingOver([audience('gold', 'loyalty.tier = "gold"')], profiles);
  const running = streaming.evaluate('s1', [identityKey('ECID', '1')], NOW); // holds the queue
  const second = streaming.evaluate('s1', [identityKey('ECID', '2')]);
  const third = streaming.evaluate('s1', [identityKey('ECID', '3'), identityKey('ECID', '2')]);
  const timed = streaming.evaluate('s1', [identityKey('ECID', '4')], NOW);
  const other = streaming.evaluate('s2', [identityKey('ECID', '5')]);
  const [first, joint, joined, own, elsewhere] = await Promise.all([running, second, third, timed, other]);
  assert.equal(joint, joined, 'one pass answered both calls');
  assert.deepEqual(joint.map((c) => c.profileId).sort(), [identityKey('ECID', '2'), identityKey('ECID', '3')]);
  assert.deepEqual(first.map((c) => c.profileId), [identityKey('ECID', '1')]);
  assert.deepEqual(own.map((c) => c.profileId), [identityKey('ECID', '4')]);
  assert.deepEqual(elsewhere.map((c) => c.profileId), [identityKey('ECID', '5')]);
  assert.equal(profiles.assembles.length, 4, 'four passes: the running one, the joint one, the timed one, the other sandbox');
});
