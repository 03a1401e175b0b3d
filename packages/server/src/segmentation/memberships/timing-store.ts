/**
 * Storage interfaces that keep streaming memberships right over time and across identity changes:
 * the due-time table (when each person's membership of an audience can next change with no new
 * data) and the identity owners (which profile id each identity was last evaluated under, so
 * memberships follow a person when graphs merge or split). Embedded: `sqlite-timing-store.ts`.
 */
import type { IdentityKey } from '../../identity/graph.ts';

/** One (profile, audience) whose membership may change at `dueAt` without new data. */
export interface DueEntry {
  sandboxId: string;
  profileId: string;
  audienceId: string;
  dueAt: number;
  /** An identity of the person: re-evaluating it finds the person even after a graph merge. */
  identityKey: IdentityKey;
}

export interface DueChange {
  profileId: string;
  audienceId: string;
  dueAt: number | undefined;
  identityKey: IdentityKey;
}

export interface DueStore {
  /** Sets due times (a number) or clears them (undefined), in one write. */
  set(sandboxId: string, changes: readonly DueChange[]): Promise<void>;
  /** The profile's current due times, audience id → epoch ms. */
  forProfile(sandboxId: string, profileId: string): Promise<Map<string, number>>;
  /** `forProfile` of many profiles in one read: profile id → audience id → epoch ms (profiles without due times absent). */
  forProfiles(sandboxId: string, profileIds: readonly string[]): Promise<Map<string, Map<string, number>>>;
  /** Entries due at or before `at`, earliest first, across sandboxes. */
  dueBy(at: number, limit: number): Promise<DueEntry[]>;
  /** Removes an entry if it still holds `dueAt` (a re-evaluation that set a new time keeps it). */
  clearIfUnchanged(entry: DueEntry): Promise<void>;
  earliest(): Promise<number | undefined>;
  deleteProfile(sandboxId: string, profileId: string): Promise<void>;
  deleteAudience(sandboxId: string, audienceId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}

export interface IdentityOwnerStore {
  /** The profile id each of `keys` was last evaluated under (absent: never). */
  ownersOf(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<IdentityKey, string>>;
  /** Identities last evaluated under a profile id. */
  keysOf(sandboxId: string, profileId: string): Promise<IdentityKey[]>;
  /** `keysOf` of many profile ids in one read (profile ids owning nothing absent). */
  keysOfProfiles(sandboxId: string, profileIds: readonly string[]): Promise<Map<string, IdentityKey[]>>;
  /** Records that each profile's `keys` now belong to it, in one write. */
  assign(sandboxId: string, assignments: readonly { profileId: string; keys: readonly IdentityKey[] }[]): Promise<void>;
  forgetKeys(sandboxId: string, keys: readonly IdentityKey[]): Promise<void>;
  deleteProfile(sandboxId: string, profileId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
