/** Storage interface of external audiences and their uploaded identities; embedded: `sqlite-store.ts`. */
import type { IdentityKey } from '../../identity/graph.ts';

export interface ExternalAudience {
  id: string;
  name: string;
  description?: string;
  mergePolicyId: string;
  ttlInDays: number;
  /** Members exit at this instant, epoch ms. */
  expiresAt: number;
  namespaces: string[];
  /** Distinct identities uploaded. */
  identities: number;
  sandbox: { sandboxId: string; sandboxName: string };
  creationTime: number;
}

export interface ExternalAudienceStore {
  list(sandboxId: string): Promise<ExternalAudience[]>;
  get(sandboxId: string, id: string): Promise<ExternalAudience | undefined>;
  /** Saves the audience and its identities in one transaction; the count of distinct identities is stored. */
  create(sandboxId: string, audience: ExternalAudience, keys: readonly IdentityKey[]): Promise<ExternalAudience>;
  /** External audiences holding any of `keys`: audience id → expiry (epoch ms). */
  heldBy(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<string, number>>;
  delete(sandboxId: string, id: string): Promise<boolean>;
  /** Removes identities from every uploaded list (privacy delete). */
  forgetIdentities(sandboxId: string, keys: readonly IdentityKey[]): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
