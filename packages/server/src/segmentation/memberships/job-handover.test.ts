import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, type IdentityKey } from '../../identity/graph.ts';
import { audienceFixture } from '../audiences/audience-fixture.ts';
import { handFutureEntrantsToStreaming } from './job-handover.ts';

test('future entrants whose due time for the audience is armed already are not handed to streaming again', async () => {
  const lapsed = audienceFixture('aud_lapsed', 'not chain(xEvent, timestamp, [B: WHAT(eventType = "buy") WHEN(< 1 hours before now)])');
  const evaluated: IdentityKey[][] = [];
  let done!: () => void;
  const called = new Promise<void>((resolve) => (done = resolve));
  const listener = handFutureEntrantsToStreaming({
    audiences: { list: async () => [lapsed] },
    identity: { graphKeys: async () => new Map() },
    streaming: {
      evaluate: async (_sandboxId, keys) => {
        evaluated.push([...keys]);
        done();
        return [];
      },
    },
    // ECID 1 was evaluated by streaming for this audience (its entry is armed); ECID 2 holds a due time for another audience only.
    dueTimes: {
      forProfiles: async (_sandboxId, profileIds) =>
        new Map(
          [
            ['ECID:1', new Map([['aud_lapsed', 5_000]])],
            ['ECID:2', new Map([['aud_other', 5_000]])],
          ].filter(([profileId]) => profileIds.includes(profileId as string)) as [string, Map<string, number>][],
        ),
    },
    onError: (err) => assert.fail(err),
  });
  listener('sbx', [
    { audienceId: 'aud_lapsed', profileId: 'ECID:1' },
    { audienceId: 'aud_lapsed', profileId: 'ECID:2' },
    { audienceId: 'aud_lapsed', profileId: 'ECID:3' },
  ]);
  await called;
  assert.deepEqual(evaluated, [[identityKey('ECID', '2'), identityKey('ECID', '3')]]);
});
