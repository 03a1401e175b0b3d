/**
 * The governance hook of activation. Before an activation is saved (and before each run), the
 * guard decides whether its marketing action may use the data it exports. Governance supplies the
 * real check (`governance/activation-guard.ts`, wired in `app/platform.ts`); `permissiveActivationGuard`
 * allows everything (tests of the engine alone).
 *
 * @example
 *   activations.setGuard(governanceActivationGuard(governance));
 */

import type { GuardViolation } from './model.ts';

export interface ActivationGuardInput {
  sandboxId: string;
  activationId?: string;
  destinationId: string;
  destinationType: string;
  marketingActionId?: string;
  audienceIds: readonly string[];
  /** Profile attribute paths exported. */
  mappedPaths: readonly string[];
  /** Identity namespaces exported. */
  namespaces: readonly string[];
}

export type ActivationGuardResult = { allowed: true } | { allowed: false; reason: string; violations?: GuardViolation[] };

export interface ActivationGuard {
  check(input: ActivationGuardInput): Promise<ActivationGuardResult>;
}

/** Allows every activation: the default until governance provides a guard. */
export const permissiveActivationGuard: ActivationGuard = {
  async check() {
    return { allowed: true };
  },
};
