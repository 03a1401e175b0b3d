/**
 * Contact list sync (email and SMS services): a batch of membership changes becomes one operation
 * per contact — `upsert` with the mapped attributes and a tag per audience (`true` while a member,
 * `false` after an exit), or `remove` once the contact has left every audience of the activation.
 * A contact's later change in the same batch wins; tags of its upserts are merged. Pure.
 *
 * @example
 *   contactOperations(events, (e) => e.identities.Email ?? [])
 *   // [{ contact: 'ann@example.com', action: 'upsert', fields: { FNAME: 'Ann' }, tags: { gold: true } }]
 */
import type { JsonObject } from '../../../storage/json.ts';
import type { DeliveryEvent } from '../types.ts';

export type ContactOperation =
  | { contact: string; action: 'upsert'; fields: JsonObject; tags: Record<string, boolean> }
  | { contact: string; action: 'remove' };

const MEMBER = new Set(['realized', 'existing']);

/** Whether the person is still a member of another audience of the activation after this change. */
function stillMemberElsewhere(event: DeliveryEvent): boolean {
  return Object.entries(event.segmentMembership.ups).some(([id, m]) => id !== event.audience.id && MEMBER.has(m.status));
}

/** Operations for a batch, in first-seen contact order; `contactsOf` gives each event's normalized contacts (none = skipped). */
export function contactOperations(events: readonly DeliveryEvent[], contactsOf: (event: DeliveryEvent) => readonly string[]): ContactOperation[] {
  const byContact = new Map<string, ContactOperation>();
  for (const event of events) {
    const exited = event.audience.status === 'exited';
    for (const contact of contactsOf(event)) {
      const previous = byContact.get(contact);
      if (exited && !stillMemberElsewhere(event)) {
        byContact.set(contact, { contact, action: 'remove' });
        continue;
      }
      const tags = previous?.action === 'upsert' ? { ...previous.tags } : {};
      tags[event.audience.name] = !exited;
      byContact.set(contact, { contact, action: 'upsert', fields: event.attributes, tags });
    }
  }
  return [...byContact.values()];
}
