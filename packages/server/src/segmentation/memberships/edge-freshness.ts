/**
 * Keeps the edge projection's memberships fresh: membership changes (entries and exits, including
 * those of timers, merges and external uploads) refresh the held views of the people concerned, so
 * a decision sees an audience change at once, not only after the person's attributes change.
 *
 * While the projection holds nobody of a sandbox, its changes cost nothing (no identities read).
 *
 * @example
 *   keepEdgeMembershipsFresh(streamingAudiences, owners, edgeProjection);
 */
import { soloProfileIdentity, type IdentityKey } from '../../identity/graph.ts';
import type { StreamingAudiences } from './streaming.ts';
import type { IdentityOwnerStore } from './timing-store.ts';

/** The held views to keep fresh (`profile/edge-projection.ts`). */
export interface HeldViews {
  /** Whether any person of the sandbox is held. */
  holdsAnyone(sandboxId: string): boolean;
  /** Recomputes the held views of the people these identities belong to. */
  refresh(sandboxId: string, identities: readonly IdentityKey[]): Promise<void>;
}

export function keepEdgeMembershipsFresh(
  streaming: Pick<StreamingAudiences, 'onChange'>,
  owners: Pick<IdentityOwnerStore, 'keysOfProfiles'>,
  views: HeldViews,
  onError: (err: Error) => void = (err) => process.emitWarning(`edge projection refresh after a membership change failed: ${err.message}`),
): void {
  streaming.onChange((sandboxId, changes) => {
    if (!views.holdsAnyone(sandboxId)) return;
    const profileIds = [...new Set(changes.map((c) => c.profileId))];
    void identitiesOf(owners, sandboxId, profileIds)
      .then((keys) => (keys.length > 0 ? views.refresh(sandboxId, keys) : undefined))
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
