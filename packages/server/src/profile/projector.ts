/**
 * Keeps identities and profiles current by following the durable record log: for each accepted
 * record it reads the identities, links them in the graph, gives profile records' attributes to
 * their primary identity as a fragment, and indexes the record under its identities (timelines,
 * privacy). Its watermark makes a restart resume where it stopped; re-applying a record is harmless.
 *
 * @example
 *   const projector = new ProfileProjector(deps);
 *   await projector.catchUp(); // at start, and after each ingest (the response waits for it)
 */
import type { CatalogService } from '../catalog/service.ts';
import type { Dataset } from '../catalog/model.ts';
import type { RecordStore, StoredRecord } from '../ingest/record-store.ts';
import { extractIdentities, type ExtractedIdentity } from '../identity/extract.ts';
import { priorityOf } from '../identity/linking.ts';
import type { IdentityService, LinkItem } from '../identity/service.ts';
import type { SchemaService } from '../schema/service.ts';
import { SerialQueue } from '../storage/serial-queue.ts';
import type { JsonObject } from '../storage/json.ts';
import type { ProfileFragment } from './merge.ts';
import type { ProfileStore, RecordIdentityEntry } from './store.ts';

export interface ProjectorDeps {
  records: RecordStore;
  catalog: CatalogService;
  schemas: SchemaService;
  identity: IdentityService;
  profiles: ProfileStore;
  /** Told about every profile (graph) whose attributes or identities changed. */
  onProfileChanged?: (sandboxId: string, identities: readonly string[]) => void;
  onError?: (err: unknown, record: StoredRecord) => void;
}

const SLICE = 2_000;

/** Attributes a profile record gives its fragment: everything but the record's own envelope. */
function fragmentAttributes(record: JsonObject): JsonObject {
  const { _id: _i, identityMap: _m, timestamp: _t, ...attributes } = record;
  return attributes;
}

export class ProfileProjector {
  private readonly queue = new SerialQueue();
  private position = -1;

  constructor(private readonly deps: ProjectorDeps) {}

  /** Applies every record after the watermark; concurrent calls share one pass. */
  catchUp(): Promise<void> {
    return this.queue.run(() => this.drain());
  }

  private async drain(): Promise<void> {
    const { records, profiles } = this.deps;
    if (this.position < 0) this.position = await profiles.watermark();
    for (;;) {
      const slice = await records.readAfter(this.position, SLICE);
      if (slice.length === 0) return;
      await this.applySlice(slice);
      this.position = slice[slice.length - 1].seq;
      await profiles.setWatermark(this.position);
    }
  }

  private async applySlice(slice: StoredRecord[]) {
    const bySandbox = new Map<string, StoredRecord[]>();
    for (const r of slice) {
      const list = bySandbox.get(r.sandboxId);
      if (list) list.push(r);
      else bySandbox.set(r.sandboxId, [r]);
    }
    for (const [sandboxId, list] of bySandbox) await this.applySandbox(sandboxId, list);
  }

  private async applySandbox(sandboxId: string, list: StoredRecord[]) {
    const { catalog, schemas, identity, profiles } = this.deps;
    const resolve = await identity.resolver(sandboxId);
    const settings = await identity.settings(sandboxId);
    const fragments: ProfileFragment[] = [];
    const index: RecordIdentityEntry[] = [];
    const links: LinkItem[] = [];
    const changed = new Set<string>();
    const datasets = new Map<string, Dataset | null>();
    for (const stored of list) {
      try {
        let dataset = datasets.get(stored.datasetId);
        if (dataset === undefined) {
          dataset = await catalog.get(sandboxId, stored.datasetId).catch(() => null);
          datasets.set(stored.datasetId, dataset);
        }
        if (dataset === null) continue; // dataset deleted since
        const { doc } = await schemas.compile(sandboxId, dataset.schemaId);
        const record = JSON.parse(stored.body) as JsonObject;
        const { identities } = extractIdentities(record, doc.identities, resolve);
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
        if (dataset.profileEnabled && kind === 'profile') {
          fragments.push({ identity: primary.key, datasetId: dataset.id, updatedAt: stored.timestamp, attributes: fragmentAttributes(record) });
          changed.add(primary.key);
        }
      } catch (err) {
        this.deps.onError?.(err, stored);
      }
    }
    if (links.length > 0) for (const key of (await identity.linkBatch(sandboxId, links)).changedKeys) changed.add(key);
    if (fragments.length > 0 || index.length > 0) await profiles.apply(sandboxId, { fragments, index });
    if (changed.size > 0) this.deps.onProfileChanged?.(sandboxId, [...changed]);
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
