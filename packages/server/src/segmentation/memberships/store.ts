/** Storage interface of audience memberships; the embedded implementation is `sqlite-store.ts`. */
import type { EntryRow } from './held-entries.ts';
import type { MembershipBatch } from './membership-batch.ts';

export type MembershipStatus = 'realized' | 'existing' | 'exited';

export interface Membership {
  profileId: string;
  audienceId: string;
  status: MembershipStatus;
  /** When the profile last entered the audience, epoch ms. */
  lastQualificationTime: number;
  updatedAt: number;
}

export interface MembershipStore {
  get(sandboxId: string, profileId: string, audienceId: string): Promise<Membership | undefined>;
  forProfile(sandboxId: string, profileId: string): Promise<Membership[]>;
  /** The memberships of many profiles in one read (bulk profile assembly), in no particular order. */
  forProfiles(sandboxId: string, profileIds: readonly string[]): Promise<Membership[]>;
  /**
   * Members in profile id order, after `afterProfileId`: current ones (realized or existing) by
   * default, or only those of the given statuses (e.g. `['exited']`).
   */
  members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string; statuses?: readonly MembershipStatus[] }): Promise<Membership[]>;
  /**
   * Every membership (any status, any audience) of the next `limit` profiles holding one, in
   * profile id order after `afterProfileId`: one pass over a sandbox reads them all (a batch job's
   * baseline), where `members` would pass once per audience.
   */
  byProfile(sandboxId: string, options: { limit: number; afterProfileId?: string }): Promise<Membership[]>;
  /**
   * `byProfile`'s pages as the store holds them, for a reader in bulk (a batch job's baseline):
   * each profile's id and the JSON text of its entries (held-entries.ts). Stores without a text
   * form of their entries leave it out and are read by `byProfile`.
   */
  entryRows?(sandboxId: string, options: { limit: number; afterProfileId?: string }): Promise<readonly EntryRow[]>;
  put(sandboxId: string, memberships: readonly Membership[]): Promise<void>;
  /** `put` of a batch job's memberships, held as columns (membership-batch.ts). */
  putBatch(sandboxId: string, batch: MembershipBatch): Promise<void>;
  deleteAudience(sandboxId: string, audienceId: string): Promise<void>;
  deleteProfile(sandboxId: string, profileId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
