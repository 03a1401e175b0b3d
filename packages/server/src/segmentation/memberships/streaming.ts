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
import { analyze, parseOrThrow, type PqlAnalysis } from '../pql/index.ts';
import { COMPUTED_ATTRIBUTES_PATH } from '../computed/service.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import type { Membership, MembershipStore } from './store.ts';
import { isEntryOrExit, nextMembership } from './transitions.ts';
import { systemClock, type Clock } from './clock.ts';
import { followPerson } from './rekey.ts';
import type { DueChange, DueStore, IdentityOwnerStore } from './timing-store.ts';
import { TimeSlice } from '../../storage/time-slice.ts';

export type MembershipListener = (sandboxId: string, changes: readonly Membership[]) => void;

/** Audiences whose members come from uploaded identities rather than an expression (`segmentation/external/`). */
export interface ExternalMembers {
  /** External audiences holding any of `keys`: audience id → when its membership expires (epoch ms, or undefined: never). */
  heldBy(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<string, number | undefined>>;
}

export interface StreamingOptions {
  clock?: Clock;
  /** Due times of time-based entries and exits (see `timers.ts`). */
  dueTimes?: DueStore;
  /** Which profile id each identity was last evaluated under (see `rekey.ts`). */
  owners?: IdentityOwnerStore;
  external?: ExternalMembers;
}

/** Most recent events of a person read for one evaluation. */
const EVENT_HISTORY = 1_000;

/** Slack added to the longest lookback when narrowing the events read (calendar windows, clock skew). */
const LOOKBACK_SLACK_MS = 2 * 86_400_000;

interface CompiledAudience {
  expression: CompiledExpression;
  analysis: PqlAnalysis;
}

/** What the audiences of one pass read, so a person's evaluation fetches only that. */
interface PassNeeds {
  events: boolean;
  /** Oldest event time any audience can look at, relative to the evaluation time; undefined: unbounded. */
  lookbackMs: number | undefined;
  computedAttributes: boolean;
}

export class StreamingAudiences {
  private readonly compiled = new Map<string, CompiledAudience>();
  private readonly listeners: MembershipListener[] = [];
  private readonly queue = new SerialQueue();
  private readonly dueListeners: ((at: number) => void)[] = [];
  private readonly clock: Clock;

  constructor(
    private readonly audiences: AudienceService,
    private readonly memberships: MembershipStore,
    private readonly profiles: ProfileService,
    private readonly options: StreamingOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  onChange(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  /** Told of each due time written (the timer wheel arms itself for the earliest). */
  onDueTime(listener: (at: number) => void): void {
    this.dueListeners.push(listener);
  }

  /** Evaluates the people holding these identities; passes run one at a time, in call order. */
  evaluate(sandboxId: string, identities: readonly IdentityKey[], at: number = this.clock.now()): Promise<Membership[]> {
    return this.queue.run(() => this.evaluateNow(sandboxId, identities, at));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async evaluateNow(sandboxId: string, identities: readonly IdentityKey[], at: number): Promise<Membership[]> {
    const all = await this.audiences.list(sandboxId);
    const audiences = inDependencyOrder(all.filter((a) => a.classification.method !== 'batch' || a.classification.meridianStreaming));
    if (audiences.length === 0) return [];
    const changes: Membership[] = [];
    const seen = new Set<string>();
    // Audiences grouped by the merge policy they read profiles through, resolved once per pass.
    const byPolicy = new Map<string, Audience[]>();
    for (const a of audiences) byPolicy.set(a.mergePolicyId, [...(byPolicy.get(a.mergePolicyId) ?? []), a]);
    const policies = await Promise.all([...byPolicy.keys()].map((id) => this.profiles.policy(sandboxId, id)));
    const needsOf = new Map([...byPolicy].map(([id, group]) => [id, this.needsOf(group)]));
    const { dueTimes, owners, external } = this.options;
    // inSegment may name an audience instead of giving its id (resolved like validation: first by name).
    const idByName = new Map<string, string>();
    for (const a of all) if (!idByName.has(a.name)) idByName.set(a.name, a.id);
    let earliestDue = Infinity;
    // Writes of the whole pass go out together at its end: one commit each, not one per person.
    const written: Membership[] = [];
    const dueChanges: DueChange[] = [];
    const assignments: { profileId: string; keys: readonly IdentityKey[] }[] = [];
    // A split found while evaluating one person adds the other side's identities to this pass.
    const pending = [...identities];
    const slice = new TimeSlice();
    for (let k = 0; k < pending.length; k++) {
      // Requests go first: a long pass gives the event loop a turn between people.
      await slice.yieldIfSpent();
      const identity = pending[k];
      for (const [i, group] of [...byPolicy.values()].entries()) {
        const policy = policies[i];
        const policyId = policy.id;
        const person = await this.profiles.members(sandboxId, identity, policy);
        if (!person || seen.has(`${policyId}/${person.profileId}`)) continue;
        seen.add(`${policyId}/${person.profileId}`);
        if (owners && policy.identityGraph.type === 'pdg') {
          const followed = await followPerson({ owners, memberships: this.memberships, ...(dueTimes ? { dueTimes } : {}) }, sandboxId, person, at);
          changes.push(...followed.changes);
          pending.push(...followed.recheck);
          if (followed.assign) assignments.push(followed.assign);
        }
        const needs = needsOf.get(policyId) ?? NEEDS_NOTHING;
        const profile = await this.profiles.assemble(sandboxId, person.profileId, person.keys, policy, { parts: needs.computedAttributes ? ['computedAttributes'] : [] });
        const events = needs.events
          ? await this.profiles.eventsOf(sandboxId, person.keys, EVENT_HISTORY, needs.lookbackMs === undefined ? {} : { from: at - needs.lookbackMs - LOOKBACK_SLACK_MS })
          : [];
        const current = new Map((await this.memberships.forProfile(sandboxId, person.profileId)).map((m) => [m.audienceId, m]));
        const held = external && group.some(isExternal) ? await external.heldBy(sandboxId, person.keys) : undefined;
        const dues = new Map<string, number | undefined>();
        const updated: Membership[] = [];
        for (const audience of group) {
          let qualifies: boolean;
          let due: number | undefined;
          if (isExternal(audience)) {
            const expiresAt = held?.get(audience.id);
            qualifies = held !== undefined && held.has(audience.id) && (expiresAt === undefined || at < expiresAt);
            due = qualifies ? expiresAt : undefined;
          } else {
            const evaluator = this.evaluator(audience).expression;
            const input = {
              profile: profile.attributes,
              events,
              now: at,
              inSegment: (ref: string) => {
                const m = current.get(ref) ?? current.get(idByName.get(ref) ?? '');
                return m !== undefined && m.status !== 'exited';
              },
            };
            qualifies = evaluator.matches(input);
            due = dueTimes && evaluator.readsClock ? evaluator.nextChangeAt(input) : undefined;
          }
          if (dueTimes) dues.set(audience.id, due === undefined ? undefined : Math.max(due, at + 1));
          const next = nextMembership(current.get(audience.id), qualifies, at, person.profileId, audience.id);
          if (next) {
            current.set(audience.id, next);
            updated.push(next);
          }
        }
        written.push(...updated);
        changes.push(...updated.filter(isEntryOrExit));
        if (dueTimes) earliestDue = Math.min(earliestDue, await this.dueChanges(dueTimes, sandboxId, person.profileId, identity, dues, dueChanges));
      }
    }
    if (written.length > 0) await this.memberships.put(sandboxId, written);
    if (dueTimes && dueChanges.length > 0) await dueTimes.set(sandboxId, dueChanges);
    if (owners && assignments.length > 0) await owners.assign(sandboxId, assignments);
    if (earliestDue !== Infinity) for (const listener of this.dueListeners) listener(earliestDue);
    if (changes.length > 0) for (const listener of this.listeners) listener(sandboxId, changes);
    return changes;
  }

  /** Collects the due times of a person that changed; returns the person's earliest due time. */
  private async dueChanges(store: DueStore, sandboxId: string, profileId: string, identityKey: IdentityKey, dues: Map<string, number | undefined>, out: DueChange[]): Promise<number> {
    const before = await store.forProfile(sandboxId, profileId);
    let earliest = Infinity;
    for (const [audienceId, dueAt] of dues) {
      if (dueAt !== undefined) earliest = Math.min(earliest, dueAt);
      if (before.get(audienceId) !== dueAt) out.push({ profileId, audienceId, dueAt, identityKey });
    }
    return earliest;
  }

  private evaluator(audience: Audience): CompiledAudience {
    const key = `${audience.id}@${audience.updateTime}`;
    let evaluator = this.compiled.get(key);
    if (!evaluator) {
      const ast = parseOrThrow(audience.expression.value);
      evaluator = { expression: compileExpression(ast), analysis: analyze(ast) };
      this.compiled.set(key, evaluator);
    }
    return evaluator;
  }

  /** Events (and how far back) and computed attributes read by any audience of a group. */
  private needsOf(group: readonly Audience[]): PassNeeds {
    const needs: PassNeeds = { events: false, lookbackMs: 0, computedAttributes: false };
    for (const audience of group) {
      if (isExternal(audience)) continue;
      const { analysis } = this.evaluator(audience);
      if (analysis.usesEvents || analysis.longestLookback !== null) {
        needs.events = true;
        const lookback = analysis.longestLookback;
        needs.lookbackMs = needs.lookbackMs === undefined || lookback === null || lookback === 'unbounded' ? undefined : Math.max(needs.lookbackMs, lookback);
      }
      if (analysis.profilePaths.some(readsComputedAttributes)) needs.computedAttributes = true;
    }
    return needs;
  }
}

const NEEDS_NOTHING: PassNeeds = { events: false, lookbackMs: 0, computedAttributes: false };

/** Whether a profile path the PQL reads is (within, or the whole of) the computed attributes. */
function readsComputedAttributes(path: string): boolean {
  return path === '' || path === COMPUTED_ATTRIBUTES_PATH || path.startsWith(`${COMPUTED_ATTRIBUTES_PATH}.`);
}

function isExternal(audience: Audience): boolean {
  return audience.origin === 'external';
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
