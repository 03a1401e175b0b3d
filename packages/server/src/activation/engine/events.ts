/**
 * Shapes outbox items into destination events and export rows: mapped attributes read from the
 * merged profile, identities selected (and hashed), the changed audience and the mapped audiences'
 * `segmentMembership`. Pure.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../storage/json.ts';
import { readPath, type DeliveryEvent } from '../destinations/types.ts';
import { destinationIdentities } from '../identities.ts';
import type { Activation } from '../model.ts';
import type { ProfileView } from '../sources.ts';
import type { OutboxItem } from '../store.ts';

/** The idempotency key of an outbox item: stable across retries and restarts. */
export function eventId(item: Pick<OutboxItem, 'activationId' | 'profileId' | 'audienceId' | 'status' | 'changedAt'>): string {
  return `${item.activationId}:${item.audienceId}:${item.profileId}:${item.status}:${item.changedAt}`;
}

export function mappedAttributes(activation: Pick<Activation, 'mappings'>, attributes: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const m of activation.mappings) {
    const value = readPath(attributes, m.source);
    if (value !== undefined) out[m.destination] = value;
  }
  return out;
}

export function deliveryEvent(item: OutboxItem, activation: Activation, audienceName: string, profile: ProfileView | undefined): DeliveryEvent {
  const ups: DeliveryEvent['segmentMembership']['ups'] = {};
  if (profile) {
    for (const id of activation.audienceIds) {
      const m = profile.segmentMembership.ups[id];
      if (m && typeof m.status === 'string') ups[id] = { status: m.status, lastQualificationTime: String(m.lastQualificationTime) };
    }
  }
  // The change being delivered wins over a newer state read from the profile: each event says what happened.
  ups[item.audienceId] = { status: item.status, lastQualificationTime: new Date(item.lastQualificationTime).toISOString() };
  return {
    id: eventId(item),
    activationId: item.activationId,
    profileId: item.profileId,
    audience: { id: item.audienceId, name: audienceName, status: item.status, lastQualificationTime: new Date(item.lastQualificationTime).toISOString() },
    attributes: profile ? mappedAttributes(activation, profile.attributes) : {},
    identities: profile ? destinationIdentities(profile.identities, activation.identities) : {},
    segmentMembership: { ups },
    timestamp: new Date(item.changedAt).toISOString(),
  };
}

/** A fingerprint of what an activation sends about a person: mapped attributes and identities. */
export function attributeFingerprint(activation: Pick<Activation, 'mappings' | 'identities'>, profile: ProfileView): string {
  const payload = JSON.stringify([mappedAttributes(activation, profile.attributes), destinationIdentities(profile.identities, activation.identities)]);
  return createHash('sha256').update(payload).digest('hex').slice(0, 32);
}

/** Export file columns: identity fields, mapped fields, the membership status. */
export function exportColumns(activation: Activation): string[] {
  return [...new Set([...activation.identities.map((i) => i.field), ...activation.mappings.map((m) => m.destination), 'segmentMembershipStatus'])];
}

/** One export row; identities with several values are joined by `|`. */
export function exportRow(activation: Activation, status: string, profile: ProfileView | undefined): JsonObject {
  const row: JsonObject = {};
  if (profile) {
    for (const [field, values] of Object.entries(destinationIdentities(profile.identities, activation.identities))) row[field] = values.join('|');
    Object.assign(row, mappedAttributes(activation, profile.attributes));
  }
  row.segmentMembershipStatus = status;
  return row;
}
