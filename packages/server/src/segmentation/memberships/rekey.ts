/**
 * Memberships follow the person when identity graphs merge or split. Memberships are keyed by the
 * graph (profile) id; the identity owners table remembers which profile id each identity was last
 * evaluated under. Before a person is evaluated:
 * - a profile id none of whose identities is left elsewhere was absorbed by a merge: its
 *   memberships move to the surviving person (entering under the new id, the earliest
 *   qualification time kept) and the vanished id exits everything, so no membership is orphaned
 *   and destinations keyed by profile id hear both sides;
 * - identities that left a profile, or a profile that still holds other identities, mean a split:
 *   the people now holding those identities are evaluated in the same pass.
 *
 * @example
 *   const { changes, recheck, assign } = await followPerson(deps, sandboxId, { profileId, keys }, Date.now());
 *   if (assign) await owners.assign(sandboxId, [assign]);
 */
import type { IdentityKey } from '../../identity/graph.ts';
import type { Membership, MembershipStore } from './store.ts';
import type { DueStore, IdentityOwnerStore } from './timing-store.ts';

export interface FollowDeps {
  owners: IdentityOwnerStore;
  memberships: MembershipStore;
  dueTimes?: DueStore;
}

export interface FollowResult {
  /** Entries and exits caused by re-keying (the absorbed ids' exits, the survivor's entries). */
  changes: Membership[];
  /** Identities whose people must be evaluated too (the other side of a split). */
  recheck: IdentityKey[];
  /** The person's identities, when the owners table must learn them (the caller writes them with the pass). */
  assign?: { profileId: string; keys: readonly IdentityKey[] };
}

export async function followPerson(deps: FollowDeps, sandboxId: string, person: { profileId: string; keys: readonly IdentityKey[] }, at: number): Promise<FollowResult> {
  const { owners, memberships, dueTimes } = deps;
  const result: FollowResult = { changes: [], recheck: [] };
  const mine = new Set(person.keys);
  const known = await owners.ownersOf(sandboxId, person.keys);
  const previous = new Set([...known.values()].filter((id) => id !== person.profileId));
  const departed = (await owners.keysOf(sandboxId, person.profileId)).filter((k) => !mine.has(k));
  if (departed.length > 0) {
    // These identities left this person (a split): whoever holds them now is evaluated afresh.
    await owners.forgetKeys(sandboxId, departed);
    result.recheck.push(...departed);
  }
  for (const other of previous) {
    const remaining = (await owners.keysOf(sandboxId, other)).filter((k) => !mine.has(k));
    if (remaining.length > 0) {
      result.recheck.push(...remaining);
      continue;
    }
    result.changes.push(...(await absorb(memberships, sandboxId, other, person.profileId, at)));
    await dueTimes?.deleteProfile(sandboxId, other);
    await owners.deleteProfile(sandboxId, other);
  }
  if (previous.size > 0 || known.size < person.keys.length) result.assign = { profileId: person.profileId, keys: person.keys };
  return result;
}

export interface FollowPeopleResult {
  changes: Membership[];
  recheck: IdentityKey[];
  assign: { profileId: string; keys: readonly IdentityKey[] }[];
  /**
   * Profile ids no identity was ever evaluated under (none of their keys has an owner, they own
   * none): never evaluated by a streaming pass, so they hold no due times yet.
   */
  unowned: Set<string>;
}

/**
 * `followPerson` for the people of a streaming pass: one read of the owners of all their
 * identities and one of the identities each profile id owned. A person whose identities are owned
 * by no other profile id, and who lost none, needs nothing more (most people, most of the time);
 * the others go through `followPerson` one by one, in order. Whatever those write concerns only
 * identities or profile ids that also make their own people take that path, so the shared reads
 * stay true for the rest.
 */
export async function followPeople(deps: FollowDeps, sandboxId: string, people: readonly { profileId: string; keys: readonly IdentityKey[] }[], at: number): Promise<FollowPeopleResult> {
  const result: FollowPeopleResult = { changes: [], recheck: [], assign: [], unowned: new Set() };
  if (people.length === 0) return result;
  const known = await deps.owners.ownersOf(sandboxId, people.flatMap((p) => p.keys));
  const owned = await deps.owners.keysOfProfiles(sandboxId, people.map((p) => p.profileId));
  for (const person of people) {
    let ownedHere = 0;
    let settled = true;
    for (const key of person.keys) {
      const owner = known.get(key);
      if (owner === undefined) continue;
      if (owner !== person.profileId) settled = false;
      else ownedHere++;
    }
    const ownedBefore = owned.get(person.profileId) ?? [];
    if (settled) {
      const mine = new Set(person.keys);
      settled = ownedBefore.every((k) => mine.has(k));
    }
    if (settled) {
      if (ownedHere === 0 && ownedBefore.length === 0) result.unowned.add(person.profileId);
      if (ownedHere < person.keys.length) result.assign.push({ profileId: person.profileId, keys: person.keys });
      continue;
    }
    const followed = await followPerson(deps, sandboxId, person, at);
    result.changes.push(...followed.changes);
    result.recheck.push(...followed.recheck);
    if (followed.assign) result.assign.push(followed.assign);
  }
  return result;
}

/** Moves the memberships of a profile id that a merge absorbed onto the surviving profile id. */
async function absorb(memberships: MembershipStore, sandboxId: string, absorbed: string, survivor: string, at: number): Promise<Membership[]> {
  const theirs = (await memberships.forProfile(sandboxId, absorbed)).filter((m) => m.status !== 'exited');
  if (theirs.length === 0) {
    await memberships.deleteProfile(sandboxId, absorbed);
    return [];
  }
  const ours = new Map((await memberships.forProfile(sandboxId, survivor)).map((m) => [m.audienceId, m]));
  const writes: Membership[] = [];
  const changes: Membership[] = [];
  for (const m of theirs) {
    changes.push({ ...m, status: 'exited', updatedAt: at });
    const current = ours.get(m.audienceId);
    if (!current || current.status === 'exited') {
      const entered: Membership = { profileId: survivor, audienceId: m.audienceId, status: 'realized', lastQualificationTime: m.lastQualificationTime, updatedAt: at };
      writes.push(entered);
      changes.push(entered);
    } else if (m.lastQualificationTime < current.lastQualificationTime) {
      writes.push({ ...current, lastQualificationTime: m.lastQualificationTime, updatedAt: at });
    }
  }
  if (writes.length > 0) await memberships.put(sandboxId, writes);
  await memberships.deleteProfile(sandboxId, absorbed);
  return changes;
}
