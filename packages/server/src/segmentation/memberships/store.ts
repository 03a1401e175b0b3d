/** Storage interface of audience memberships; the embedded implementation is `sqlite-store.ts`. */

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
  /** Current members (realized or existing), in profile id order, after `afterProfileId`. */
  members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string }): Promise<Membership[]>;
  put(sandboxId: string, memberships: readonly Membership[]): Promise<void>;
  deleteAudience(sandboxId: string, audienceId: string): Promise<void>;
  deleteProfile(sandboxId: string, profileId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
