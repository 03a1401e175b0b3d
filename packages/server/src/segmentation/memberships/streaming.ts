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
import type { MergePolicy } from '../../profile/merge-policy.ts';
import type { ProfileMembers, ProfileService } from '../../profile/service.ts';
import { SerialQueue } from '../../storage/serial-queue.ts';
import { compileExpression, type CompiledExpression } from '../evaluate/index.ts';
import { analyze, parseOrThrow, type PqlAnalysis } from '../pql/index.ts';
import { COMPUTED_ATTRIBUTES_PATH } from '../computed/service.ts';
import { keptByStreaming, type Audience } from '../audiences/model.ts';
import type { AudienceService } from '../audiences/service.ts';
import type { Membership, MembershipStore } from './store.ts';
import { isEntryOrExit, nextMembership } from './transitions.ts';
import { systemClock, type Clock } from './clock.ts';
import { followPeople } from './rekey.ts';
import type { DueChange, DueStore, IdentityOwnerStore } from './timing-store.ts';
import { TimeSlice } from '../../storage/time-slice.ts';

export type MembershipListener = (sandboxId: string, changes: readonly Membership[]) => void;

/** Audiences whose members come from uploaded identities rather than an expression (`segmentation/external/`). */
export interface ExternalMembers {
  /** External audiences holding any of `keys`: audience id → when its membership expires (epoch ms, or undefined: never). */
  heldBy(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<string, number | undefined>>;
}

/** What a streaming pass writes when it ends. */
export interface PassWrites {
  memberships: readonly Membership[];
  dueChanges: readonly DueChange[];
  assignments: readonly { profileId: string; keys: readonly IdentityKey[] }[];
  /** The entries and exits among `memberships`: the very array the listeners are then given. */
  changes: readonly Membership[];
}

/** Writes a pass's results; an implementation may commit them together (`sqlite-pass-writer.ts`). */
export type PassWriter = (sandboxId: string, writes: PassWrites) => Promise<void>;

export interface StreamingOptions {
  clock?: Clock;
  /** Writes each pass's results; without it, the stores' own writes one after another. */
  writePass?: PassWriter;
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

const NOBODY: ReadonlySet<string> = new Set();

/** People read together (one read of each kind) in a streaming pass. */
const PEOPLE_PER_READ = 64;

/**
 * Identities a waiting pass gathers at most: calls made while another pass runs join the next
 * pass of their sandbox instead of queueing one each, up to this many (a pass holds the queue).
 */
const GATHER_LIMIT = 1_000;

/** A pass queued but not started: later calls for the same sandbox add their identities to it. */
interface GatheringPass {
  identities: IdentityKey[];
  result: Promise<Membership[]>;
}

/** The state of one streaming pass, shared by its rounds and policy groups. */
interface Pass {
  sandboxId: string;
  at: number;
  idByName: Map<string, string>;
  /** `policyId/profileId` of the people evaluated already. */
  seen: Set<string>;
  changes: Membership[];
  written: Membership[];
  dueChanges: DueChange[];
  assignments: { profileId: string; keys: readonly IdentityKey[] }[];
  /** Identities to evaluate in the next round (the other side of a split). */
  recheck: IdentityKey[];
  earliestDue: number;
  slice: TimeSlice;
}

interface CompiledAudience {
  expression: CompiledExpression;
  /** What evaluating this audience reads (`needsOf` folds a group's). */
  needs: PassNeeds;
}

/** What the audiences of one pass read, so a person's evaluation fetches only that. */
interface PassNeeds {
  events: boolean;
  /** Oldest event time any audience can look at, relative to the evaluation time; undefined: unbounded. */
  lookbackMs: number | undefined;
  computedAttributes: boolean;
}

export class StreamingAudiences {
  /**
   * By audience document: the audience store keeps the same objects until an audience changes, so
   * a pass finds each compiled expression without building a key, and a changed audience's old
   * entry goes with its document.
   */
  private readonly compiled = new WeakMap<Audience, CompiledAudience>();
  private readonly listeners: MembershipListener[] = [];
  private readonly queue = new SerialQueue();
  private readonly gathering = new Map<string, GatheringPass>();
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

  /**
   * Evaluates the people holding these identities; passes run one at a time, in call order.
   * Without `at` (evaluate now), a call made while a pass of the same sandbox waits its turn joins
   * that pass, which evaluates at the time it starts: under load, passes grow instead of queueing
   * (at 5,000 events/s, ~150 passes of ~30 people a second, each with its own reads and writes).
   * The answer is then every change of the joint pass.
   */
  evaluate(sandboxId: string, identities: readonly IdentityKey[], at?: number): Promise<Membership[]> {
    if (at !== undefined) return this.queue.run(() => this.evaluateNow(sandboxId, identities, at));
    const waiting = this.gathering.get(sandboxId);
    if (waiting && waiting.identities.length + identities.length <= GATHER_LIMIT) {
      for (const key of identities) waiting.identities.push(key);
      return waiting.result;
    }
    // The queue starts the pass on a later turn, so it is registered below before it can start.
    const gathered = [...identities];
    const result = this.queue.run(() => {
      if (this.gathering.get(sandboxId)?.identities === gathered) this.gathering.delete(sandboxId);
      return this.evaluateNow(sandboxId, gathered, this.clock.now());
    });
    this.gathering.set(sandboxId, { identities: gathered, result });
    return result;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async evaluateNow(sandboxId: string, identities: readonly IdentityKey[], at: number): Promise<Membership[]> {
    const all = await this.audiences.list(sandboxId);
    const audiences = inDependencyOrder(all.filter((a) => keptByStreaming(a.classification)));
    if (audiences.length === 0) return [];
    // Audiences grouped by the merge policy they read profiles through, resolved once per pass.
    const byPolicy = new Map<string, Audience[]>();
    for (const a of audiences) {
      const group = byPolicy.get(a.mergePolicyId);
      if (group) group.push(a);
      else byPolicy.set(a.mergePolicyId, [a]);
    }
    const policies = await Promise.all([...byPolicy.keys()].map((id) => this.profiles.policy(sandboxId, id)));
    const groups = [...byPolicy.values()].map((group, i) => ({ group, policy: policies[i], needs: this.needsOf(group) }));
    // inSegment may name an audience instead of giving its id (resolved like validation: first by name).
    const idByName = new Map<string, string>();
    for (const a of all) if (!idByName.has(a.name)) idByName.set(a.name, a.id);
    const pass: Pass = { sandboxId, at, idByName, seen: new Set(), changes: [], written: [], dueChanges: [], assignments: [], recheck: [], earliestDue: Infinity, slice: new TimeSlice() };
    // People are read PEOPLE_PER_READ at a time, one read of each kind for all of them. A split
    // found while following people adds the other side's identities: they make the next round.
    let round = [...new Set(identities)];
    while (round.length > 0) {
      for (let start = 0; start < round.length; start += PEOPLE_PER_READ) {
        await pass.slice.yieldIfSpent();
        const chunk = round.slice(start, start + PEOPLE_PER_READ);
        for (const { group, policy, needs } of groups) await this.evaluatePeople(pass, chunk, group, policy, needs);
      }
      round = [...new Set(pass.recheck.splice(0))];
    }
    // Writes of the whole pass go out together at its end, not one per person.
    if (pass.written.length > 0 || pass.dueChanges.length > 0 || pass.assignments.length > 0) {
      await this.writePass(sandboxId, { memberships: pass.written, dueChanges: pass.dueChanges, assignments: pass.assignments, changes: pass.changes });
    }
    if (pass.earliestDue !== Infinity) for (const listener of this.dueListeners) listener(pass.earliestDue);
    if (pass.changes.length > 0) for (const listener of this.listeners) listener(sandboxId, pass.changes);
    return pass.changes;
  }

  /** Evaluates one policy group's audiences for the people holding `identities` (those not seen yet in the pass). */
  private async evaluatePeople(pass: Pass, identities: readonly IdentityKey[], group: readonly Audience[], policy: MergePolicy, needs: PassNeeds): Promise<void> {
    const { sandboxId, at } = pass;
    const { dueTimes, owners, external } = this.options;
    const found = await this.profiles.membersMany(sandboxId, identities, policy);
    const people: ProfileMembers[] = [];
    /** The identity each person was found by: due entries re-find the person through it. */
    const foundBy: IdentityKey[] = [];
    for (const identity of identities) {
      const person = found.get(identity);
      if (!person || pass.seen.has(`${policy.id}/${person.profileId}`)) continue;
      pass.seen.add(`${policy.id}/${person.profileId}`);
      people.push(person);
      foundBy.push(identity);
    }
    if (people.length === 0) return;
    let unowned: ReadonlySet<string> = NOBODY;
    if (owners && policy.identityGraph.type === 'pdg') {
      const followed = await followPeople({ owners, memberships: this.memberships, ...(dueTimes ? { dueTimes } : {}) }, sandboxId, people, at);
      pass.changes.push(...followed.changes);
      pass.recheck.push(...followed.recheck);
      pass.assignments.push(...followed.assign);
      unowned = followed.unowned;
    }
    const profileIds = people.map((p) => p.profileId);
    const profiles = await this.profiles.assembleMany(sandboxId, people, policy, { parts: needs.computedAttributes ? ['computedAttributes'] : [] });
    const events = needs.events
      ? await this.profiles.eventsOfPeople(
          sandboxId,
          people.map((p) => p.keys),
          EVENT_HISTORY,
          needs.lookbackMs === undefined ? {} : { from: at - needs.lookbackMs - LOOKBACK_SLACK_MS },
        )
      : undefined;
    const held = new Map<string, Membership[]>();
    for (const m of await this.memberships.forProfiles(sandboxId, profileIds)) {
      const list = held.get(m.profileId);
      if (list) list.push(m);
      else held.set(m.profileId, [m]);
    }
    // Due times are written by streaming passes only, and a pass over a graph's person assigns its
    // owners: a profile id nobody was evaluated under has none to read.
    const duesBefore = dueTimes ? await dueTimes.forProfiles(sandboxId, unowned.size === 0 ? profileIds : profileIds.filter((id) => !unowned.has(id))) : undefined;
    const readsExternal = external !== undefined && group.some(isExternal);
    for (let i = 0; i < people.length; i++) {
      await pass.slice.yieldIfSpent();
      const person = people[i];
      const current = new Map((held.get(person.profileId) ?? []).map((m) => [m.audienceId, m]));
      const heldExternally = readsExternal ? await external.heldBy(sandboxId, person.keys) : undefined;
      const dues = new Map<string, number | undefined>();
      const updated: Membership[] = [];
      for (const audience of group) {
        let qualifies: boolean;
        let due: number | undefined;
        if (isExternal(audience)) {
          const expiresAt = heldExternally?.get(audience.id);
          qualifies = heldExternally !== undefined && heldExternally.has(audience.id) && (expiresAt === undefined || at < expiresAt);
          due = qualifies ? expiresAt : undefined;
        } else {
          const evaluator = this.evaluator(audience).expression;
          const input = {
            profile: profiles[i].attributes,
            events: events?.[i] ?? [],
            now: at,
            inSegment: (ref: string) => {
              const m = current.get(ref) ?? current.get(pass.idByName.get(ref) ?? '');
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
      pass.written.push(...updated);
      for (const m of updated) if (isEntryOrExit(m)) pass.changes.push(m);
      if (duesBefore) pass.earliestDue = Math.min(pass.earliestDue, dueChanges(person.profileId, foundBy[i], dues, duesBefore.get(person.profileId), pass.dueChanges));
    }
  }

  private async writePass(sandboxId: string, writes: PassWrites): Promise<void> {
    if (this.options.writePass) return this.options.writePass(sandboxId, writes);
    const { dueTimes, owners } = this.options;
    if (writes.memberships.length > 0) await this.memberships.put(sandboxId, writes.memberships);
    if (dueTimes && writes.dueChanges.length > 0) await dueTimes.set(sandboxId, writes.dueChanges);
    if (owners && writes.assignments.length > 0) await owners.assign(sandboxId, writes.assignments);
  }

  private evaluator(audience: Audience): CompiledAudience {
    let evaluator = this.compiled.get(audience);
    if (!evaluator) {
      const ast = parseOrThrow(audience.expression.value);
      evaluator = { expression: compileExpression(ast), needs: needsOfAnalysis(analyze(ast)) };
      this.compiled.set(audience, evaluator);
    }
    return evaluator;
  }

  /** Events (and how far back) and computed attributes read by any audience of a group. */
  private needsOf(group: readonly Audience[]): PassNeeds {
    const needs: PassNeeds = { events: false, lookbackMs: 0, computedAttributes: false };
    for (const audience of group) {
      if (isExternal(audience)) continue;
      const own = this.evaluator(audience).needs;
      if (own.events) {
        needs.events = true;
        needs.lookbackMs = needs.lookbackMs === undefined || own.lookbackMs === undefined ? undefined : Math.max(needs.lookbackMs, own.lookbackMs);
      }
      if (own.computedAttributes) needs.computedAttributes = true;
    }
    return needs;
  }
}

/** Collects the due times of a person that changed; returns the person's earliest due time. */
function dueChanges(profileId: string, identityKey: IdentityKey, dues: Map<string, number | undefined>, before: Map<string, number> | undefined, out: DueChange[]): number {
  let earliest = Infinity;
  for (const [audienceId, dueAt] of dues) {
    if (dueAt !== undefined) earliest = Math.min(earliest, dueAt);
    if (before?.get(audienceId) !== dueAt) out.push({ profileId, audienceId, dueAt, identityKey });
  }
  return earliest;
}

/** What one audience's evaluation reads: its events (and how far back) and computed attributes. */
function needsOfAnalysis(analysis: PqlAnalysis): PassNeeds {
  const events = analysis.usesEvents || analysis.longestLookback !== null;
  const lookback = analysis.longestLookback;
  return {
    events,
    lookbackMs: !events ? 0 : lookback === null || lookback === 'unbounded' ? undefined : lookback,
    computedAttributes: analysis.profilePaths.some(readsComputedAttributes),
  };
}

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
