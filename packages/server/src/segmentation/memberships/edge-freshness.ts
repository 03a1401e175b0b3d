/**
 * Keeps the edge projection's memberships fresh: membership changes (entries and exits, including
 * those of timers, merges and external uploads) refresh the held views of the people concerned, so
 * a decision sees an audience change at once, not only after the person's attributes change.
 *
 * @example
 *   keepEdgeMembershipsFresh(streamingAudiences, owners, (sandboxId, keys) => edgeProjection.refresh(sandboxId, keys));
 */
import { soloProfileIdentity, type IdentityKey } from '../../identity/graph.ts';
import type { StreamingAudiences } from './streaming.ts';
import type { IdentityOwnerStore } from './timing-store.ts';

export type RefreshPeople = (sandboxId: string, identities: readonly IdentityKey[]) => Promise<void>;

export function keepEdgeMembershipsFresh(
  streaming: Pick<StreamingAudiences, 'onChange'>,
  owners: Pick<IdentityOwnerStore, 'keysOfProfiles'>,
  refresh: RefreshPeople,
  onError: (err: Error) => void = (err) => process.emitWarning(`edge projection refresh after a membership change failed: ${err.message}`),
): void {
  streaming.onChange((sandboxId, changes) => {
    const profileIds = [...new Set(changes.map((c) => c.profileId))];
    void identitiesOf(owners, sandboxId, profileIds)
      .then((keys) => (keys.length > 0 ? refresh(sandboxId, keys) : undefined))
      .catch((err: Error) => onError(err));
  });
}

/** The identities of profiles: a graph's from the owners table; `NS:value` ids are one identity. */
async function identitiesOf(owners: Pick<IdentityOwnerStore, 'keysOfProfiles'>, sandboxId: string, profileIds: readonly string[]): Promise<IdentityKey[]> {
  const owned = await owners.keysOfProfiles(sandboxId, profileIds);
  const keys: IdentityKey[] = [];
  for (const profileId of profileIds) {
    const known = owned.get(profileId);
    if (known) keys.push(...known);
    else {
      const solo = soloProfileIdentity(profileId);
      if (solo) keys.push(solo);
    }
  }
  return keys;
}
