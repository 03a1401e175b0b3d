/** Storage interface of computed attributes (definitions and per-profile values); the embedded implementation is `sqlite-store.ts`. */
import type { IdentityKey } from '../../identity/graph.ts';
import type { JsonValue } from '../../storage/json.ts';
import type { Contribution } from './aggregate.ts';
import type { ComputedAttribute } from './model.ts';

/** One attribute's value for one profile, with what is needed to keep it current. */
export interface ComputedValue {
  attributeId: string;
  profileId: string;
  /** One identity of the person, to find them again when the value expires. */
  identity: IdentityKey;
  /** Digest of the identities the value was computed over: a different graph means recompute. */
  keysHash: string;
  /** The definition's `updateTime` the value was computed with. */
  version: number;
  /** Highest record log position examined; later events are added incrementally. */
  maxSeq: number;
  value: JsonValue;
  contributions: Contribution[];
  /** When the value may next change with time alone (an event leaving the window), epoch ms. */
  expiresAt: number | null;
  updatedAt: number;
}

export interface ComputedAttributeStore {
  list(sandboxId: string): Promise<ComputedAttribute[]>;
  get(sandboxId: string, id: string): Promise<ComputedAttribute | undefined>;
  put(sandboxId: string, attribute: ComputedAttribute): Promise<void>;
  /** Deletes a definition and every value of it. */
  delete(sandboxId: string, id: string): Promise<boolean>;

  valuesOf(sandboxId: string, profileId: string): Promise<ComputedValue[]>;
  putValues(sandboxId: string, values: readonly ComputedValue[]): Promise<void>;
  /** Values whose window has moved past an event by `now`, oldest expiry first. */
  expired(now: number, limit: number): Promise<(ComputedValue & { sandboxId: string })[]>;
  /** Drops values of other profile ids found by these identities (a graph that merged into this profile). */
  deleteStale(sandboxId: string, profileId: string, identities: readonly IdentityKey[]): Promise<void>;
  /** Drops a person's values (privacy delete): by profile id and by the identities they were found by. */
  deleteProfile(sandboxId: string, profileId: string, identities: readonly IdentityKey[]): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
