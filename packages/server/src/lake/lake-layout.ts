/**
 * Where lake files live: `<dataDir>/lake/sandbox=<id>/dataset=<id>/day=YYYY-MM-DD/part-<seq>.parquet`.
 * Paths in the file catalog are relative to the lake root; these helpers build and check them.
 *
 * @example
 *   partFilePath('sbx_1', 'ds_2', '2026-11-01', 42); // 'sandbox=sbx_1/dataset=ds_2/day=2026-11-01/part-00000000000000000042.parquet'
 */
import { join } from 'node:path';

const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

/** Ids become directory names, so anything that could climb out of the lake is refused. */
function segment(kind: string, id: string): string {
  if (!SAFE_SEGMENT.test(id)) throw new Error(`${kind} id "${id}" cannot be used as a lake path segment`);
  return `${kind}=${id}`;
}

/** The UTC calendar day of an epoch-millisecond time, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch milliseconds at the start of a UTC day. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function sandboxDir(sandboxId: string): string {
  return segment('sandbox', sandboxId);
}

export function datasetDir(sandboxId: string, datasetId: string): string {
  return join(sandboxDir(sandboxId), segment('dataset', datasetId));
}

export function dayDir(sandboxId: string, datasetId: string, day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`"${day}" is not a YYYY-MM-DD day`);
  return join(datasetDir(sandboxId, datasetId), `day=${day}`);
}

/**
 * The file a slice is written to. Named by the slice's first `_seq`, so writing the same slice
 * again (after a crash, before the watermark moved) replaces the file instead of duplicating rows.
 * `revision` names a retention rewrite of that file.
 */
export function partFilePath(sandboxId: string, datasetId: string, day: string, firstSeq: number, revision?: string): string {
  const seq = String(firstSeq).padStart(20, '0');
  return join(dayDir(sandboxId, datasetId, day), `part-${seq}${revision ? `-${revision}` : ''}.parquet`);
}
