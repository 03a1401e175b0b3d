/**
 * Streaming audience evaluation: when records reach a person's profile, every audience the
 * streaming engine can keep current is evaluated for that person with the in-memory engine, in
 * dependency order (so `inSegment` sees this pass's results), and memberships move to
 * realized / existing / exited. Entries and exits are announced to listeners (activation).
 *
 * @example
 *   const changes = await streaming.evaluate(sandboxId, [identityKey('ECID', ecid)]);
 */
import type { IdentityKey } from '../../identity/graph.ts';
import type { ProfileService } from '../../profile/service.ts';
import { SerialQueue } from '../../storage/serial-queue.ts';
import { compileExpression, type CompiledExpression } from '../evaluate/index.ts';
import { parseOrThrow } from '../pql/index.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import type { Membership, MembershipStore } from './store.ts';
import { isEntryOrExit, nextMembership } from './transitions.ts';

export type MembershipListener = (sandboxId: string, changes: readonly Membership[]) => void;

/** Most recent events of a person read for one evaluation. */
const EVENT_HISTORY = 1_000;

export class StreamingAudiences {
  private readonly compiled = new Map<string, CompiledExpression>();
  private readonly listeners: MembershipListener[] = [];
  private readonly queue = new SerialQueue();

  constructor(
    private readonly audiences: AudienceService,
    private readonly memberships: MembershipStore,
    private readonly profiles: ProfileService,
  ) {}

  onChange(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  /** Evaluates the people holding these identities; passes run one at a time, in call order. */
  evaluate(sandboxId: string, identities: readonly IdentityKey[], at: number = Date.now()): Promise<Membership[]> {
    return this.queue.run(() => this.evaluateNow(sandboxId, identities, at));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async evaluateNow(sandboxId: string, identities: readonly IdentityKey[], at: number): Promise<Membership[]> {
    const audiences = inDependencyOrder((await this.audiences.list(sandboxId)).filter((a) => a.classification.method !== 'batch' || a.classification.meridianStreaming));
    if (audiences.length === 0) return [];
    const changes: Membership[] = [];
    const seen = new Set<string>();
    // Audiences grouped by the merge policy they read profiles through, resolved once per pass.
    const byPolicy = new Map<string, Audience[]>();
    for (const a of audiences) byPolicy.set(a.mergePolicyId, [...(byPolicy.get(a.mergePolicyId) ?? []), a]);
    const policies = await Promise.all([...byPolicy.keys()].map((id) => this.profiles.policy(sandboxId, id)));
    for (const identity of identities) {
      for (const [i, group] of [...byPolicy.values()].entries()) {
        const policy = policies[i];
        const policyId = policy.id;
        const person = await this.profiles.members(sandboxId, identity, policy);
        if (!person || seen.has(`${policyId}/${person.profileId}`)) continue;
        seen.add(`${policyId}/${person.profileId}`);
        const profile = await this.profiles.assemble(sandboxId, person.profileId, person.keys, policy);
        const events = await this.profiles.eventsOf(sandboxId, person.keys, EVENT_HISTORY);
        const current = new Map((await this.memberships.forProfile(sandboxId, person.profileId)).map((m) => [m.audienceId, m]));
        const updated: Membership[] = [];
        for (const audience of group) {
          const evaluator = this.evaluator(audience);
          const qualifies = evaluator.matches({
            profile: profile.attributes,
            events,
            now: at,
            inSegment: (id) => {
              const m = current.get(id);
              return m !== undefined && m.status !== 'exited';
            },
          });
          const next = nextMembership(current.get(audience.id), qualifies, at, person.profileId, audience.id);
          if (next) {
            current.set(audience.id, next);
            updated.push(next);
          }
        }
        if (updated.length > 0) await this.memberships.put(sandboxId, updated);
        changes.push(...updated.filter(isEntryOrExit));
      }
    }
    if (changes.length > 0) for (const listener of this.listeners) listener(sandboxId, changes);
    return changes;
  }

  private evaluator(audience: Audience): CompiledExpression {
    const key = `${audience.id}@${audience.updateTime}`;
    let evaluator = this.compiled.get(key);
    if (!evaluator) {
      evaluator = compileExpression(parseOrThrow(audience.expression.value));
      this.compiled.set(key, evaluator);
    }
    return evaluator;
  }
}

/** Audiences ordered so each comes after those it reads through inSegment. */
export function inDependencyOrder(audiences: readonly Audience[]): Audience[] {
  const byId = new Map(audiences.map((a) => [a.id, a]));
  const ordered: Audience[] = [];
  const placed = new Set<string>();
  const place = (a: Audience, path: Set<string>) => {
    if (placed.has(a.id) || path.has(a.id)) return;
    path.add(a.id);
    for (const dep of a.dependencies) {
      const d = byId.get(dep);
      if (d) place(d, path);
    }
    placed.add(a.id);
    ordered.push(a);
  };
  for (const a of audiences) place(a, new Set());
  return ordered;
}
