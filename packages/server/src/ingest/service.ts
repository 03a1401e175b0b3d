/**
 * Ingestion: validates records against their dataset's schema, writes the valid ones to the
 * durable record log in one transaction (idempotent on `_id`), keeps the rejected ones with their
 * reasons, and tells downstream listeners (identity, profiles, audiences in later stages) after
 * commit. A bad record never takes good records down with it.
 *
 * @example
 *   const outcome = await ingest.accept(sandboxId, dataset, [{ _id: 'e1', timestamp: '2026-01-01T00:00:00Z' }], { source: 'api' });
 *   outcome.accepted; // 1
 */
import type { FieldError } from '../errors.ts';
import type { Dataset } from '../catalog/model.ts';
import type { SchemaService } from '../schema/service.ts';
import type { JsonObject } from '../storage/json.ts';
import { timeOrderedUuid } from '../storage/ids.ts';
import { ownTimeOf, type NewRecord, type NewRejection, type RecordAppender } from './record-store.ts';
import { GroupCommit } from './group-commit.ts';

export interface RejectedRecord {
  index: number;
  errors: FieldError[];
}

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: RejectedRecord[];
  /** Problems in accepted records that did not stop them (e.g. an identity value that breaks its namespace's rules). */
  warnings: (FieldError & { index: number })[];
  /** The `_id` of every record that was valid (accepted or duplicate), in input order. */
  ids: string[];
}

export interface IngestOptions {
  /** Where the records came from: `api`, `batch`, `edge`, ... (kept with rejections, in metrics). */
  source: string;
  batchId?: string;
  /** Position of the first record in its file or stream, for rejection indexes (default 0). */
  firstIndex?: number;
  /**
   * The compact JSON text each input record was parsed from (`recordTexts`), stored as it is
   * instead of serializing the record again; `undefined` entries are serialized.
   */
  texts?: readonly (string | undefined)[];
  /**
   * Records that are the same as a stored one by `_id` alone, whatever their `timestamp`: `true`
   * for every record, or per input record. For callers that filled in or adjusted the time
   * themselves (the edge's server time, a Segment message's clock-skew correction): a retry's time
   * differs, its `_id` does not. Other records are the same by `_id` and own `timestamp`.
   */
  sameById?: boolean | readonly boolean[];
}

/** Accepted records, after commit, for modules that react to new data. */
export interface AcceptedRecords {
  sandboxId: string;
  dataset: Dataset;
  /** The newly written records (duplicates left out), with their log positions and record times. */
  records: JsonObject[];
  /** Each record's stored text (what reading it back from the log returns). */
  texts: string[];
  seqs: number[];
  timestamps: number[];
  source: string;
}
export type AcceptedListener = (batch: AcceptedRecords) => void | Promise<void>;

/**
 * Prepares a check of valid records that reports problems without rejecting the record (the
 * identity domain uses it to name identity values it cannot link). Called once per request.
 */
export type RecordWarningCheck = (sandboxId: string, dataset: Dataset) => Promise<(record: JsonObject) => FieldError[]>;

export interface IngestCounters {
  accepted(sandboxId: string, source: string, n: number): void;
  rejected(sandboxId: string, source: string, n: number): void;
  duplicate(sandboxId: string, source: string, n: number): void;
}


export class IngestService {
  private readonly listeners: AcceptedListener[] = [];
  private readonly warningChecks: RecordWarningCheck[] = [];
  private readonly log: GroupCommit;

  constructor(
    records: RecordAppender,
    private readonly schemas: SchemaService,
    private readonly counters?: IngestCounters,
  ) {
    this.log = new GroupCommit(records);
  }

  onAccepted(listener: AcceptedListener): void {
    this.listeners.push(listener);
  }

  addWarningCheck(check: RecordWarningCheck): void {
    this.warningChecks.push(check);
  }

  async accept(sandboxId: string, dataset: Dataset, input: readonly unknown[], options: IngestOptions): Promise<IngestOutcome> {
    const { validate } = await this.schemas.compile(sandboxId, dataset.schemaId);
    const now = Date.now();
    const first = options.firstIndex ?? 0;
    const checks = await Promise.all(this.warningChecks.map((prepare) => prepare(sandboxId, dataset)));
    const warnings: IngestOutcome['warnings'] = [];
    const valid: NewRecord[] = [];
    const validObjects: JsonObject[] = [];
    const rejections: NewRejection[] = [];
    const rejected: RejectedRecord[] = [];
    for (let i = 0; i < input.length; i++) {
      const record = input[i];
      const errors = validate(record);
      if (errors.length > 0) {
        rejected.push({ index: first + i, errors });
        rejections.push({
          sandboxId,
          datasetId: dataset.id,
          ...(options.batchId ? { batchId: options.batchId } : {}),
          source: options.source,
          index: first + i,
          errors,
          body: safeStringify(record),
        });
        continue;
      }
      const obj = record as JsonObject;
      for (const check of checks) for (const w of check(obj)) warnings.push({ ...w, index: first + i });
      // Validation and checks never change a record: the text it came from is still its text, unless an _id is added.
      let text = options.texts?.[i];
      if (typeof obj._id !== 'string') {
        obj._id = timeOrderedUuid(now);
        text = undefined;
      }
      const own = ownTimeOf(obj);
      const byIdAlone = options.sameById === true || (Array.isArray(options.sameById) && options.sameById[i] === true);
      valid.push({
        sandboxId,
        datasetId: dataset.id,
        recordId: obj._id as string,
        timestamp: own ?? now,
        ...(own !== undefined && !byIdAlone ? { idTime: own } : {}),
        ...(options.batchId ? { batchId: options.batchId } : {}),
        body: text ?? JSON.stringify(obj),
      });
      validObjects.push(obj);
    }
    const { inserted, duplicateIndexes, seqs } = await this.log.append(valid, rejections);
    this.counters?.accepted(sandboxId, options.source, inserted);
    if (rejected.length) this.counters?.rejected(sandboxId, options.source, rejected.length);
    if (duplicateIndexes.length) this.counters?.duplicate(sandboxId, options.source, duplicateIndexes.length);
    if (this.listeners.length > 0 && inserted > 0) {
      const fresh: AcceptedRecords = { sandboxId, dataset, records: [], texts: [], seqs: [], timestamps: [], source: options.source };
      seqs.forEach((seq, i) => {
        if (seq === undefined) return;
        fresh.records.push(validObjects[i]);
        fresh.texts.push(valid[i].body);
        fresh.seqs.push(seq);
        fresh.timestamps.push(valid[i].timestamp);
      });
      for (const listener of this.listeners) await listener(fresh);
    }
    return { accepted: inserted, duplicates: duplicateIndexes.length, rejected, warnings, ids: valid.map((r) => r.recordId) };
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
