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
  /** The merged profile of a profile id (a graph id or `Namespace:value`) under a merge policy. */
  profile(sandboxId: string, profileId: string, mergePolicyId: string): Promise<ProfileView | undefined>;
  /** Throws AUDIENCE_NOT_FOUND for an unknown id. */
  audience(sandboxId: string, audienceId: string): Promise<{ id: string; name: string; mergePolicyId: string }>;
  /** Current members (realized or existing) in profile id order after a cursor. */
  members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string }): Promise<Membership[]>;
  namespaceExists(sandboxId: string, code: string): Promise<boolean>;
  /** The person holding an identity key, with their merged profile under a merge policy. */
  person(sandboxId: string, identityKey: string, mergePolicyId: string): Promise<{ profileId: string; view: ProfileView } | undefined>;
}
