/**
 * Governance as the activation guard: adapts `evaluateUsage` to the check the activation engine
 * runs when an activation is saved and before each run (`ActivationService.setGuard`). Its shapes
 * mirror the engine's guard port structurally, so governance does not import activation.
 * An activation without a marketing action is not checked: policies deny marketing actions.
 *
 * @example
 *   activations.setGuard(governanceActivationGuard(governance));
 */
import { MeridianError } from '../errors.ts';
import type { GovernanceService } from './service.ts';
import type { LineageEntry } from './model.ts';

export interface GuardedActivation {
  sandboxId: string;
  marketingActionId?: string;
  audienceIds: readonly string[];
  /** Profile attribute paths exported. */
  mappedPaths: readonly string[];
  /** Identity namespaces exported. */
  namespaces: readonly string[];
}

export type GuardVerdict =
  | { allowed: true }
  | { allowed: false; reason: string; violations?: { policy: string; policyId: string; labels: string[]; lineage: LineageEntry[] }[] };

export function governanceActivationGuard(governance: Pick<GovernanceService, 'evaluateUsage'>) {
  return {
    async check(input: GuardedActivation): Promise<GuardVerdict> {
      if (!input.marketingActionId) return { allowed: true };
      try {
        const decision = await governance.evaluateUsage({
          sandboxId: input.sandboxId,
          marketingActionId: input.marketingActionId,
          audienceIds: input.audienceIds,
          fieldPaths: input.mappedPaths,
          identityNamespaces: input.namespaces,
        });
        if (decision.allowed) return { allowed: true };
        return {
          allowed: false,
          reason: decision.violations.map((v) => v.explanation).join('; '),
          violations: decision.violations.map((v) => ({ policy: v.policyName, policyId: v.policyId, labels: v.labels, lineage: v.lineage })),
        };
      } catch (err) {
        // An unknown marketing action or audience blocks the activation with the reason, not a 500.
        if (err instanceof MeridianError && err.code === 'USAGE_REQUEST_INVALID') return { allowed: false, reason: err.detail };
        throw err;
      }
    },
  };
}
