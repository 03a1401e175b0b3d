/**
 * Streams an audience's members as CSV or JSON lines, page by page, each with the identities of
 * the profile (from its identity graph), so a file destination or an analyst gets people, not ids.
 *
 * @example
 *   for await (const chunk of exportMembers({ memberships, identitiesOf }, sandboxId, audienceId, 'csv', ['realized', 'existing'])) out.write(chunk);
 */
import type { Membership, MembershipStatus, MembershipStore } from '../memberships/store.ts';

export interface MemberIdentity {
  namespace: string;
  id: string;
}

/** The identities of each profile id (a profile without a known graph maps to none). */
export type IdentityLookup = (sandboxId: string, profileIds: readonly string[]) => Promise<Map<string, MemberIdentity[]>>;

const PAGE = 1_000;

export const EXPORT_CSV_HEADER = 'profileId,status,lastQualificationTime,identities\n';

/** A CSV field, quoted when it holds a separator, quote or line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function line(format: 'csv' | 'jsonl', m: Membership, identities: readonly MemberIdentity[]): string {
  const lastQualificationTime = new Date(m.lastQualificationTime).toISOString();
  if (format === 'jsonl') return `${JSON.stringify({ profileId: m.profileId, status: m.status, lastQualificationTime, identities })}\n`;
  const ids = identities.map((i) => `${i.namespace}:${i.id}`).join('|');
  return `${[m.profileId, m.status, lastQualificationTime, ids].map(csvField).join(',')}\n`;
}

export async function* exportMembers(
  deps: { memberships: MembershipStore; identitiesOf: IdentityLookup },
  sandboxId: string,
  audienceId: string,
  format: 'csv' | 'jsonl',
  statuses?: readonly MembershipStatus[],
): AsyncGenerator<string> {
  if (format === 'csv') yield EXPORT_CSV_HEADER;
  let after: string | undefined;
  for (;;) {
    const page = await deps.memberships.members(sandboxId, audienceId, { limit: PAGE, ...(after !== undefined ? { afterProfileId: after } : {}), ...(statuses ? { statuses } : {}) });
    if (page.length === 0) return;
    const identities = await deps.identitiesOf(sandboxId, page.map((m) => m.profileId));
    yield page.map((m) => line(format, m, identities.get(m.profileId) ?? [])).join('');
    if (page.length < PAGE) return;
    after = page[page.length - 1].profileId;
  }
}
