/**
 * `ActivationSources` from the other domains' services: merged profiles by profile id (a graph id,
 * or `Namespace:value` for a person without a graph), audiences, members and namespaces.
 */
import { soloProfileIdentity } from '../identity/graph.ts';
import type { IdentityService } from '../identity/service.ts';
import type { ProfileMembers, ProfileService } from '../profile/service.ts';
import type { AudienceService } from '../segmentation/audiences/service.ts';
import type { MembershipStore } from '../segmentation/memberships/store.ts';
import type { ActivationSources, ProfileView } from './sources.ts';

export function activationSources(deps: { profiles: ProfileService; identity: IdentityService; audiences: AudienceService; memberships: MembershipStore }): ActivationSources {
  const { profiles, identity, audiences, memberships } = deps;
  return {
    async profiles(sandboxId, profileIds, mergePolicyId, options) {
      const out = new Map<string, ProfileView>();
      if (profileIds.length === 0) return out;
      const policy = await profiles.policy(sandboxId, mergePolicyId);
      const graphs = await identity.graphKeys(sandboxId, profileIds);
      const people: ProfileMembers[] = [];
      for (const profileId of profileIds) {
        const solo = soloProfileIdentity(profileId);
        const keys = graphs.get(profileId) ?? (solo ? [solo] : undefined);
        if (keys) people.push({ profileId, keys }); // else gone (privacy delete) or merged into another graph
      }
      for (const p of await profiles.assembleMany(sandboxId, people, policy, options.memberships ? {} : { parts: ['computedAttributes'] })) {
        out.set(p.profileId, { attributes: p.attributes, identities: p.identities, segmentMembership: p.segmentMembership });
      }
      return out;
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
