/**
 * Keeps identities and profiles current by following the durable record log: for each accepted
 * record it reads the identities, links them in the graph, gives profile records' attributes to
 * their primary identity as a fragment, and indexes the record under its identities (timelines,
 * privacy). Its watermark makes a restart resume where it stopped; re-applying a record is harmless.
 *
 * It runs in its own worker thread in the server (`projector-worker.ts`), or in-process in tests.
 * What it must know about datasets, schemas and identity settings comes from a planner, once per
 * pass, so it never acts on a stale copy of the catalog.
 *
 * @example
 *   const projector = new ProfileProjector(deps);
 *   await projector.catchUp(); // at start, and whenever the log has grown
 */
import type { RecordStore, StoredRecord } from '../ingest/record-store.ts';
import type { AcceptedRecords } from '../ingest/service.ts';
import { extractIdentities, type ExtractedIdentity } from '../identity/extract.ts';
import { priorityOf, type IdentitySettings } from '../identity/linking.ts';
import type { LinkBatchResult, LinkItem } from '../identity/service.ts';
import { SerialQueue } from '../storage/serial-queue.ts';
import type { JsonObject } from '../storage/json.ts';
import type { ProfileFragment } from './merge.ts';
import { planResolver, type DatasetPlan, type ProjectionPlanner, type ProjectionPlans } from './projection-plans.ts';
import type { ProfileStore, RecordIdentityEntry } from './store.ts';

/** The part of the identity service the projector links with. */
export interface IdentityLinker {
  linkBatch(sandboxId: string, items: readonly LinkItem[], settings?: IdentitySettings): Promise<LinkBatchResult>;
}

export interface ProjectorDeps {
  records: RecordStore;
  /** Datasets, identity fields and identity settings of each pass (see projection-plans.ts). */
  plans: ProjectionPlanner;
  identity: IdentityLinker;
  profiles: ProfileStore;
  /** Told about every profile (graph) whose attributes or identities changed. */
  onProfileChanged?: (sandboxId: string, identities: readonly string[]) => void;
  onError?: (err: unknown, seq: number) => void;
  /** Told, after each write, which identities of profile-enabled records were just applied (audiences evaluate them). */
  onApplied?: (sandboxId: string, identities: readonly string[]) => void;
  /**
   * Awaited before each slice read from the log, told whether the last slice was full (the
   * projector is a slice or more behind the log): the worker may rest then, while the event loop
   * is saturated.
   */
  pace?: (behind: boolean) => Promise<void>;
}

/** Records per slice: small enough that a backlog (after a large batch) never holds the event loop for long. */
const SLICE = 500;

/** One record to project: its log position, dataset, record time and parsed body. */
interface ProjectionEntry {
  seq: number;
  datasetId: string;
  timestamp: number;
  record: JsonObject;
}

/** Attributes a profile record gives its fragment: everything but the record's own envelope. */
function fragmentAttributes(record: JsonObject): JsonObject {
  const { _id: _i, identityMap: _m, timestamp: _t, ...attributes } = record;
  return attributes;
}

export class ProfileProjector {
  private readonly queue = new SerialQueue();
  private position = -1;
  private offered: AcceptedRecords[] = [];
  private nextPass?: Promise<void>;

  constructor(private readonly deps: ProjectorDeps) {}

  /** Applies every record after the watermark; concurrent calls share one pass. */
  catchUp(): Promise<void> {
    return this.queue.run(() => this.drain());
  }

  /**
   * Applies records just written by ingestion, using the parsed records in hand instead of reading
   * them back from the log. Offers that arrive while a pass runs are applied together in the next
   * pass (one write for many requests); a gap in the log positions falls back to reading the log.
   */
  offer(accepted: AcceptedRecords): Promise<void> {
    if (accepted.seqs.length === 0) return this.queue.idle();
    this.offered.push(accepted);
    this.nextPass ??= this.queue.run(async () => {
      this.nextPass = undefined;
      const offers = this.offered.sort((x, y) => x.seqs[0] - y.seqs[0]);
      this.offered = [];
      await this.applyOffers(offers);
    });
    return this.nextPass;
  }

  private async applyOffers(offers: AcceptedRecords[]) {
    if (this.position < 0) this.position = await this.deps.profiles.watermark();
    let expected = this.position + 1;
    for (const offer of offers) {
      for (const seq of offer.seqs) {
        if (seq !== expected++) return this.drain();
      }
    }
    const bySandbox = new Map<string, ProjectionEntry[]>();
    for (const offer of offers) {
      let list = bySandbox.get(offer.sandboxId);
      if (!list) bySandbox.set(offer.sandboxId, (list = []));
      offer.seqs.forEach((seq, i) => list.push({ seq, datasetId: offer.dataset.id, timestamp: offer.timestamps[i], record: offer.records[i] }));
    }
    await this.applyPass(bySandbox, expected - 1);
    this.position = expected - 1;
  }

  private async drain(): Promise<void> {
    const { records, profiles } = this.deps;
    if (this.position < 0) this.position = await profiles.watermark();
    let behind = false;
    for (;;) {
      await this.deps.pace?.(behind);
      const slice = await records.readAfter(this.position, SLICE);
      if (slice.length === 0) return;
      const last = slice[slice.length - 1].seq;
      await this.applySlice(slice, last);
      this.position = last;
      behind = slice.length === SLICE;
      // Let requests in between slices (the edge hot path must not wait behind a backlog).
      if (behind) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async applySlice(slice: StoredRecord[], watermark: number) {
    const bySandbox = new Map<string, ProjectionEntry[]>();
    for (const r of slice) {
      let record: JsonObject;
      try {
        record = JSON.parse(r.body) as JsonObject;
      } catch (err) {
        this.deps.onError?.(err, r.seq);
        continue;
      }
      const entry = { seq: r.seq, datasetId: r.datasetId, timestamp: r.timestamp, record };
      const list = bySandbox.get(r.sandboxId);
      if (list) list.push(entry);
      else bySandbox.set(r.sandboxId, [entry]);
    }
    await this.applyPass(bySandbox, watermark);
  }

  /**
   * One pass: plans for every dataset in it asked for at once, then each sandbox applied in one
   * write; the watermark moves to `watermark` with the last sandbox's write (or alone, when the
   * pass wrote nothing).
   */
  private async applyPass(bySandbox: Map<string, ProjectionEntry[]>, watermark: number) {
    const refs = new Map<string, { sandboxId: string; datasetId: string }>();
    for (const [sandboxId, list] of bySandbox) for (const e of list) refs.set(`${sandboxId}\u0000${e.datasetId}`, { sandboxId, datasetId: e.datasetId });
    let moved = false;
    if (refs.size > 0) {
      const plans = await this.deps.plans([...refs.values()]);
      const sandboxes = [...bySandbox];
      for (const [i, [sandboxId, list]] of sandboxes.entries()) {
        moved = await this.applySandbox(sandboxId, list, plans, i === sandboxes.length - 1 ? watermark : undefined);
      }
    }
    if (!moved) await this.deps.profiles.setWatermark(watermark);
  }

  /** Applies one sandbox's records; true when its write also moved the watermark to `watermark`. */
  private async applySandbox(sandboxId: string, list: ProjectionEntry[], plans: ProjectionPlans, watermark?: number): Promise<boolean> {
    const { identity, profiles } = this.deps;
    const sandboxPlan = plans.sandboxes[sandboxId];
    if (!sandboxPlan) throw new Error(`no projection plan came back for sandbox ${sandboxId}`);
    const resolve = planResolver(sandboxPlan);
    const settings = sandboxPlan.settings;
    const datasets = new Map<string, DatasetPlan>();
    for (const p of plans.datasets) if (p.sandboxId === sandboxId) datasets.set(p.datasetId, p);
    const fragments: ProfileFragment[] = [];
    const index: RecordIdentityEntry[] = [];
    const links: LinkItem[] = [];
    const changed = new Set<string>();
    const applied = new Set<string>();
    for (const stored of list) {
      try {
        const plan = datasets.get(stored.datasetId);
        if (!plan) throw new Error(`no projection plan came back for dataset ${stored.datasetId}`);
        const dataset = plan.dataset;
        if (dataset === null) continue; // dataset deleted since
        const record = stored.record;
        const { identities } = extractIdentities(record, plan.identityFields, resolve);
        if (identities.length === 0) continue;
        if (dataset.profileEnabled && identities.length > 0) links.push({ identities, datasetId: dataset.id, at: stored.timestamp });
        const primary = primaryIdentity(identities, dataset.class, (ns, type) => priorityOf(ns, type, settings));
        const kind = dataset.class === 'event' ? 'event' : 'profile';
        const eventType = typeof record.eventType === 'string' ? record.eventType : undefined;
        for (const i of identities) {
          index.push({
            identity: i.key,
            seq: stored.seq,
            datasetId: dataset.id,
            timestamp: stored.timestamp,
            kind,
            primary: i.key === primary.key,
            inProfile: dataset.profileEnabled,
            ...(eventType ? { eventType } : {}),
          });
        }
        if (dataset.profileEnabled) applied.add(primary.key);
        if (dataset.profileEnabled && kind === 'profile') {
          fragments.push({ identity: primary.key, datasetId: dataset.id, updatedAt: stored.timestamp, attributes: fragmentAttributes(record) });
          changed.add(primary.key);
        }
      } catch (err) {
        this.deps.onError?.(err, stored.seq);
      }
    }
    if (links.length > 0) for (const key of (await identity.linkBatch(sandboxId, links, settings)).changedKeys) changed.add(key);
    const writes = fragments.length > 0 || index.length > 0;
    if (writes) await profiles.apply(sandboxId, { fragments, index, ...(watermark !== undefined ? { watermark } : {}) });
    if (changed.size > 0) this.deps.onProfileChanged?.(sandboxId, [...changed]);
    if (applied.size > 0) this.deps.onApplied?.(sandboxId, [...applied]);
    return writes && watermark !== undefined;
  }
}

/**
 * The identity a record belongs to. Profile records: the schema's primary identity field, else the
 * identityMap's `primary` flag, else the highest-priority identity. Events: the highest-priority
 * identity (so an anonymous device's events follow whoever authenticated on it last).
 */
export function primaryIdentity(
  identities: readonly ExtractedIdentity[],
  recordClass: 'profile' | 'event',
  priority: (namespace: string, type: ExtractedIdentity['type']) => number,
): ExtractedIdentity {
  if (recordClass === 'profile') {
    const flagged = identities.find((i) => i.primary);
    if (flagged) return flagged;
  }
  return [...identities].sort((a, b) => priority(a.namespace, a.type) - priority(b.namespace, b.type))[0];
}
