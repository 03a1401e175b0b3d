/** Storage interface of governance (custom labels, actions and policies; core policy status); the embedded implementation is `sqlite-store.ts`. */
import type { GovernanceLabel, MarketingAction, Policy, PolicyStatus } from './model.ts';

export interface GovernanceStore {
  listLabels(sandboxId: string): Promise<GovernanceLabel[]>;
  putLabel(sandboxId: string, label: GovernanceLabel): Promise<void>;
  deleteLabel(sandboxId: string, name: string): Promise<boolean>;
  listActions(sandboxId: string): Promise<MarketingAction[]>;
  putAction(sandboxId: string, action: MarketingAction): Promise<void>;
  deleteAction(sandboxId: string, name: string): Promise<boolean>;
  /** Custom policies only; core policies live in code. */
  listPolicies(sandboxId: string): Promise<Policy[]>;
  putPolicy(sandboxId: string, policy: Policy): Promise<void>;
  deletePolicy(sandboxId: string, id: string): Promise<boolean>;
  /** The status a sandbox gave each core policy it changed. */
  coreStatuses(sandboxId: string): Promise<Map<string, { status: PolicyStatus; updatedAt: string }>>;
  setCoreStatus(sandboxId: string, policyId: string, status: PolicyStatus, updatedAt: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
