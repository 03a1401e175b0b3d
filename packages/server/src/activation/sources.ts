/**
 * What activation reads from other domains, as narrow interfaces wired in `app/platform.ts`:
 * merged profiles by profile id, audiences and their members, identity namespaces.
 */
import type { JsonObject } from '../storage/json.ts';
import type { Membership } from '../segmentation/memberships/store.ts';

export interface ProfileView {
  attributes: JsonObject;
  identities: { namespace: string; id: string }[];
  segmentMembership: { ups: Record<string, JsonObject> };
}

export interface ActivationSources {
  /**
   * The merged profiles of profile ids (graph ids or `Namespace:value`) under a merge policy, read
   * together; an id whose person is gone (privacy delete, merged into another graph) is absent.
   * Without `memberships`, `segmentMembership` stays empty (file exports do not read it).
   */
  profiles(sandboxId: string, profileIds: readonly string[], mergePolicyId: string, options: { memberships: boolean }): Promise<Map<string, ProfileView>>;
  /** Throws AUDIENCE_NOT_FOUND for an unknown id. */
  audience(sandboxId: string, audienceId: string): Promise<{ id: string; name: string; mergePolicyId: string }>;
  /** Current members (realized or existing) in profile id order after a cursor. */
  members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string }): Promise<Membership[]>;
  namespaceExists(sandboxId: string, code: string): Promise<boolean>;
  /** The person holding an identity key, with their merged profile under a merge policy. */
  person(sandboxId: string, identityKey: string, mergePolicyId: string): Promise<{ profileId: string; view: ProfileView } | undefined>;
}
