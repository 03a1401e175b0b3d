/**
 * The consent gate of activation: which consent purposes an activation needs (its destination
 * type's channel, then its marketing action's purposes), and whether a profile allows them all.
 * A general opt-out denies every purpose. Pure; the rules themselves live in `governance/consent.ts`.
 *
 * @example
 *   const purposes = activationPurposes(activation, definition, destination.settings); // ['email']
 *   if (!consentAdmits(profile, purposes)) skip(profile);
 */
import { Type } from '@sinclair/typebox';
import { allows, consentPurposesFor, generalOptOut, CONSENT_PURPOSES, type ConsentPurpose } from '../governance/consent.ts';
import type { JsonObject } from '../storage/json.ts';

/** The purpose a destination type checks when it declares none: any marketing use. */
export const DEFAULT_CONSENT_PURPOSES: readonly ConsentPurpose[] = ['marketing'];

/** A `consentPurposes` setting for destination types whose channel is configurable (webhook, file). */
export const ConsentPurposesSetting = Type.Optional(
  Type.Array(Type.Union(CONSENT_PURPOSES.map((p) => Type.Literal(p))), {
    uniqueItems: true,
    maxItems: CONSENT_PURPOSES.length,
    description: `consent purposes every exported profile must allow (${CONSENT_PURPOSES.join(', ')}); default ["marketing"] (any marketing); [] checks only the general opt-out and the marketing action's purposes`,
  }),
);

/** What the gate needs of a destination type. */
export interface ConsentChannel {
  consentPurposes?(settings: Record<string, unknown>): readonly ConsentPurpose[];
}

/** Purposes an activation's profiles must all allow: the destination's channel plus the marketing action's. */
export function activationPurposes(activation: { marketingActionId?: string }, definition: ConsentChannel, settings: Record<string, unknown>): ConsentPurpose[] {
  const channel = definition.consentPurposes ? definition.consentPurposes(settings) : DEFAULT_CONSENT_PURPOSES;
  const action = activation.marketingActionId ? consentPurposesFor(activation.marketingActionId) : [];
  return [...new Set([...channel, ...action])];
}

/**
 * Whether a profile may be sent. With no purpose to check, the general opt-out still applies.
 * A profile that is gone (privacy delete) carries no consent: only the defaults apply.
 */
export function consentAdmits(profile: { attributes: JsonObject } | undefined, purposes: readonly ConsentPurpose[]): boolean {
  const subject = profile ?? { attributes: {} };
  if (purposes.length === 0) return generalOptOut(subject.attributes) === undefined;
  return purposes.every((p) => allows(subject, p));
}
