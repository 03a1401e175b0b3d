/**
 * `ActivationSources` from the other domains' services: merged profiles by profile id (a graph id,
 * or `Namespace:value` for a person without a graph), audiences, members and namespaces.
 */
import { identityKey } from '../identity/graph.ts';
import type { IdentityService } from '../identity/service.ts';
import type { ProfileService } from '../profile/service.ts';
import type { AudienceService } from '../segmentation/audiences/service.ts';
import type { MembershipStore } from '../segmentation/memberships/store.ts';
import type { ActivationSources } from './sources.ts';

export function activationSources(deps: { profiles: ProfileService; identity: IdentityService; audiences: AudienceService; memberships: MembershipStore }): ActivationSources {
  const { profiles, identity, audiences, memberships } = deps;
  return {
    async profile(sandboxId, profileId, mergePolicyId) {
      const policy = await profiles.policy(sandboxId, mergePolicyId);
      const [graph] = await identity.graphsById(sandboxId, [profileId]);
      let keys: string[];
      if (graph) keys = [...graph.nodes.keys()];
      else {
        const colon = profileId.indexOf(':');
        if (colon <= 0) return undefined; // the person is gone (privacy delete) or merged into another graph
        keys = [identityKey(profileId.slice(0, colon), profileId.slice(colon + 1))];
      }
      const profile = await profiles.assemble(sandboxId, profileId, keys, policy);
      return { attributes: profile.attributes, identities: profile.identities, segmentMembership: profile.segmentMembership };
    },
    async audience(sandboxId, audienceId) {
      const a = await audiences.get(sandboxId, audienceId);
      return { id: a.id, name: a.name, mergePolicyId: a.mergePolicyId };
    },
    members: (sandboxId, audienceId, options) => memberships.members(sandboxId, audienceId, options),
    async person(sandboxId, key, mergePolicyId) {
      const policy = await profiles.policy(sandboxId, mergePolicyId);
      const members = await profiles.members(sandboxId, key, policy);
      if (!members) return undefined;
      const p = await profiles.assemble(sandboxId, members.profileId, members.keys, policy);
      return { profileId: p.profileId, view: { attributes: p.attributes, identities: p.identities, segmentMembership: p.segmentMembership } };
    },
    async namespaceExists(sandboxId, code) {
      return (await identity.resolver(sandboxId))(code) !== undefined;
    },
  };
}
