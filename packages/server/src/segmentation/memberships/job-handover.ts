/**
 * Batch jobs evaluate every audience at one instant and keep no timers. People a job moves into or
 * out of an audience whose membership changes with time alone ("bought in the last 3 hours") are
 * handed to the streaming engine: its pass over them writes their due times, so the timer moves
 * them when the 3 hours pass, as it does for people who qualified by streaming.
 *
 * @example
 *   audienceJobs.onChange(handTimedChangesToStreaming({ audiences, identity, streaming }));
 */
import { soloProfileIdentity, type IdentityKey } from '../../identity/graph.ts';
import type { IdentityService } from '../../identity/service.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import { usesClock } from '../evaluate/index.ts';
import { parseOrThrow } from '../pql/index.ts';
import type { Membership } from './store.ts';
import type { StreamingAudiences } from './streaming.ts';

/** People per streaming call: passes read people together, and a call waiting for one joins it. */
const HANDOVER_SLICE = 1_000;

export interface HandoverDeps {
  audiences: Pick<AudienceService, 'list'>;
  identity: Pick<IdentityService, 'graphKeys'>;
  streaming: Pick<StreamingAudiences, 'evaluate'>;
  onError?: (err: Error) => void;
}

/** The job listener: (sandbox, entries and exits) → streaming passes over the people of timed audiences. */
export function handTimedChangesToStreaming(deps: HandoverDeps): (sandboxId: string, changes: readonly Membership[]) => void {
  const timed = new Map<string, boolean>();
  /** Whether the streaming engine keeps this audience current and its result can change with time alone. */
  const isTimed = (audience: Audience): boolean => {
    if (audience.origin === 'external') return false;
    if (audience.classification.method === 'batch' && !audience.classification.meridianStreaming) return false;
    const key = `${audience.id}@${audience.updateTime}`;
    let answer = timed.get(key);
    if (answer === undefined) {
      answer = usesClock(parseOrThrow(audience.expression.value));
      timed.set(key, answer);
    }
    return answer;
  };
  const onError = deps.onError ?? ((err: Error) => process.emitWarning(`handing a job's timed changes to streaming failed: ${err.message}`));
  return (sandboxId, changes) => {
    void (async () => {
      const audiences = new Map((await deps.audiences.list(sandboxId)).map((a) => [a.id, a]));
      const people = new Set<string>();
      for (const change of changes) {
        const audience = audiences.get(change.audienceId);
        if (audience && isTimed(audience)) people.add(change.profileId);
      }
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
