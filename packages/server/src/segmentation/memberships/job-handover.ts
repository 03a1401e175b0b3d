/**
 * Batch jobs evaluate every audience at one instant and keep no timers. People a job moves into or
 * out of an audience whose membership changes with time alone ("bought in the last 3 hours") are
 * handed to the streaming engine: its pass over them writes their due times, so the timer moves
 * them when the 3 hours pass, as it does for people who qualified by streaming. The same hand-over
 * (through `handFutureEntrantsToStreaming`) takes the people a job left outside such an audience
 * who will enter it with time alone (`jobs/time-entrants.ts`): the pass arms their entry.
 *
 * @example
 *   audienceJobs.onChange(handTimedChangesToStreaming({ audiences, identity, streaming }));
 *   audienceJobs.onFutureEntrants(handFutureEntrantsToStreaming({ audiences, identity, streaming, dueTimes }));
 */
import { soloProfileIdentity, type IdentityKey } from '../../identity/graph.ts';
import type { IdentityService } from '../../identity/service.ts';
import { keptByStreaming, type Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import { usesClock } from '../evaluate/index.ts';
import { parseOrThrow } from '../pql/index.ts';
import type { Expr } from '../pql/ast.ts';
import type { Membership } from './store.ts';
import type { StreamingAudiences } from './streaming.ts';
import type { DueStore } from './timing-store.ts';

/** People per streaming call: passes read people together, and a call waiting for one joins it. */
const HANDOVER_SLICE = 1_000;

export interface HandoverDeps {
  audiences: Pick<AudienceService, 'list'>;
  identity: Pick<IdentityService, 'graphKeys'>;
  streaming: Pick<StreamingAudiences, 'evaluate'>;
  onError?: (err: Error) => void;
}

/** Whether the streaming engine keeps this audience current and its result can change with time alone (`ast`: its parsed expression). */
export function changesWithTime(audience: Audience, ast: Expr): boolean {
  return audience.origin !== 'external' && keptByStreaming(audience.classification) && usesClock(ast);
}

/** Entries and exits, made only for the audiences asked for (a job's batch, membership-batch.ts). */
export interface ChangesOf {
  changes(of: (audienceId: string) => boolean): readonly Pick<Membership, 'audienceId' | 'profileId'>[];
}

/** The job listener: (sandbox, entries and exits) → streaming passes over the people of timed audiences. */
export function handTimedChangesToStreaming(deps: HandoverDeps): (sandboxId: string, changes: ChangesOf) => void {
  const timed = new Map<string, boolean>();
  const isTimed = (audience: Audience): boolean => {
    if (audience.origin === 'external') return false; // no PQL of its own to parse
    const key = `${audience.id}@${audience.updateTime}`;
    let answer = timed.get(key);
    if (answer === undefined) {
      answer = changesWithTime(audience, parseOrThrow(audience.expression.value));
      timed.set(key, answer);
    }
    return answer;
  };
  const onError = deps.onError ?? ((err: Error) => process.emitWarning(`handing a job's timed changes to streaming failed: ${err.message}`));
  return (sandboxId, changes) => {
    void (async () => {
      const audiences = new Map((await deps.audiences.list(sandboxId)).map((a) => [a.id, a]));
      const timedIds = new Set([...audiences.values()].filter(isTimed).map((a) => a.id));
      if (timedIds.size === 0) return;
      const people = new Set(changes.changes((audienceId) => timedIds.has(audienceId)).map((c) => c.profileId));
      if (people.size === 0) return;
      // A profile id is a graph's id (its identities now) or one `NS:value` identity.
      const keys: IdentityKey[] = [];
      const graphs: string[] = [];
      for (const profileId of people) {
        const solo = soloProfileIdentity(profileId);
        if (solo) keys.push(solo);
        else graphs.push(profileId);
      }
      for (const held of (await deps.identity.graphKeys(sandboxId, graphs)).values()) keys.push(...held);
      for (let i = 0; i < keys.length; i += HANDOVER_SLICE) {
        deps.streaming.evaluate(sandboxId, keys.slice(i, i + HANDOVER_SLICE)).catch(onError);
      }
    })().catch(onError);
  };
}

/** Profile ids read per due-time look-up when filtering future entrants. */
const ARMED_READ = 10_000;

/**
 * The look-ahead listener (`jobs/time-entrants.ts`): people a job left outside a time-based
 * audience who will enter it with time alone go to streaming, except those whose due time for that
 * audience is already armed (streaming evaluated them since their last event, or a job handed them
 * over before): a daily job finds the same future entrants day after day.
 */
export function handFutureEntrantsToStreaming(
  deps: HandoverDeps & { dueTimes: Pick<DueStore, 'forProfiles'> },
): (sandboxId: string, entrants: readonly Pick<Membership, 'audienceId' | 'profileId'>[]) => void {
  const handOver = handTimedChangesToStreaming(deps);
  const onError = deps.onError ?? ((err: Error) => process.emitWarning(`handing a job's future entrants to streaming failed: ${err.message}`));
  return (sandboxId, entrants) => {
    void (async () => {
      const profileIds = [...new Set(entrants.map((e) => e.profileId))];
      const armed = new Map<string, Map<string, number>>();
      for (let i = 0; i < profileIds.length; i += ARMED_READ) {
        for (const [profileId, due] of await deps.dueTimes.forProfiles(sandboxId, profileIds.slice(i, i + ARMED_READ))) armed.set(profileId, due);
      }
      const waiting = entrants.filter((e) => !armed.get(e.profileId)?.has(e.audienceId));
      if (waiting.length > 0) handOver(sandboxId, { changes: (of) => waiting.filter((e) => of(e.audienceId)) });
    })().catch(onError);
  };
}
