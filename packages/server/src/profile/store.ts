/** Storage interface of the profile domain; the embedded implementation is `sqlite-store.ts`. */
import type { IdentityKey } from '../identity/graph.ts';
import type { ProfileFragment } from './merge.ts';
import type { MergePolicy } from './merge-policy.ts';

/** One identity a stored record carries: the index behind timelines and privacy requests. */
export interface RecordIdentityEntry {
  identity: IdentityKey;
  seq: number;
  datasetId: string;
  timestamp: number;
  kind: 'event' | 'profile';
  /** The identity the record belongs to in the profile (events: the highest-priority one). */
  primary: boolean;
  /** The record's dataset is profile-enabled. */
  inProfile: boolean;
  eventType?: string;
}

export interface TimelineEntry {
  seq: number;
  timestamp: number;
  datasetId: string;
  eventType?: string;
}

export interface TimelineQuery {
  eventTypes?: string[];
  from?: number;
  to?: number;
  /** Entries strictly older than this `(timestamp, seq)` position, for paging. */
  before?: { timestamp: number; seq: number };
  limit: number;
}

export interface ProjectionBatch {
  fragments: ProfileFragment[];
  index: RecordIdentityEntry[];
  /** Moves the projection watermark (as `setWatermark`) in the same transaction: one commit per pass, not two. */
  watermark?: number;
}

export interface ProfileStore {
  listPolicies(sandboxId: string): Promise<MergePolicy[]>;
  putPolicy(sandboxId: string, policy: MergePolicy): Promise<void>;
  deletePolicy(sandboxId: string, id: string): Promise<boolean>;

  /** Writes one batch of the projection (fragments are deep-merged into existing ones) and the new watermark, atomically. */
  apply(sandboxId: string, batch: ProjectionBatch): Promise<void>;
  watermark(): Promise<number>;
  setWatermark(seq: number): Promise<void>;

  /** Fragments of the identities, as new objects the caller owns (it may keep or change them). */
  fragments(sandboxId: string, identities: readonly IdentityKey[]): Promise<ProfileFragment[]>;
  timeline(sandboxId: string, identities: readonly IdentityKey[], query: TimelineQuery): Promise<TimelineEntry[]>;
  /**
   * The log positions of the same events as `timeline` with only `limit` and `from`, newest first:
   * what audience evaluation reads for every event, without the dataset and event type strings
   * (about half the cost per row).
   */
  eventSeqs(sandboxId: string, identities: readonly IdentityKey[], query: { limit: number; from?: number }): Promise<number[]>;
  /**
   * `eventSeqs` of many people (each a list of identities) in one read where the store can: the
   * i-th list of positions belongs to the i-th person. Streaming evaluation reads a pass this way.
   */
  eventSeqsOfPeople(sandboxId: string, people: readonly (readonly IdentityKey[])[], query: { limit: number; from?: number }): Promise<number[][]>;
  /**
   * Identities that hold profile data (a fragment or an in-profile event), in key order after
   * `after`; `sample` instead returns up to `limit` of them at random (audience size estimates).
   */
  profileIdentities(sandboxId: string, options: { after?: IdentityKey; limit: number; sample?: boolean }): Promise<IdentityKey[]>;
  /** Every stored record (any dataset) that carries one of the identities. */
  recordSeqs(sandboxId: string, identities: readonly IdentityKey[]): Promise<number[]>;
  deleteIdentities(sandboxId: string, identities: readonly IdentityKey[]): Promise<void>;
  deleteDataset(sandboxId: string, datasetId: string): Promise<void>;
  /** Drops index entries of a dataset's records older than `beforeMs` (retention); returns how many. */
  expire(sandboxId: string, datasetId: string, beforeMs: number): Promise<number>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
