/**
 * The batch domain's shapes: one file ingestion into a dataset, its lifecycle, counts and
 * progress. The TypeBox schemas are the types, the API validation and the OpenAPI description.
 */
import { Type, type Static } from '@sinclair/typebox';

export const BatchStatus = Type.Union(
  [Type.Literal('loading'), Type.Literal('processing'), Type.Literal('success'), Type.Literal('partial'), Type.Literal('failed')],
  { description: 'loading (upload in progress) → processing → success | partial (some rows rejected) | failed (unreadable file, or every row rejected)' },
);
export type BatchStatus = Static<typeof BatchStatus>;

export const BatchFormat = Type.Union([Type.Literal('csv'), Type.Literal('jsonl'), Type.Literal('parquet')]);
export type BatchFormat = Static<typeof BatchFormat>;

/** Source column → schema dot path (`person.name.firstName`, `productListItems[0].SKU`); `null` ignores the column. */
export const ColumnMapping = Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.String({ minLength: 1 }), Type.Null()]));
export type ColumnMapping = Static<typeof ColumnMapping>;

export const Batch = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  status: BatchStatus,
  format: BatchFormat,
  /** Size of the stored file in bytes (after gzip decoding). */
  sizeBytes: Type.Integer({ minimum: 0 }),
  mapping: Type.Optional(ColumnMapping),
  ignoreUnknownColumns: Type.Boolean(),
  rowsRead: Type.Integer({ minimum: 0, description: 'data rows read so far (header excluded)' }),
  rowsAccepted: Type.Integer({ minimum: 0, description: 'rows written to the dataset' }),
  rowsRejected: Type.Integer({ minimum: 0, description: 'rows rejected with reasons (see rejections)' }),
  rowsDuplicate: Type.Integer({ minimum: 0, description: 'valid rows already in the dataset: the same _id and own timestamp, or the same _id for rows without a timestamp' }),
  bytesProcessed: Type.Integer({ minimum: 0 }),
  progress: Type.Number({ minimum: 0, maximum: 1, description: 'bytes processed / file size' }),
  error: Type.Optional(Type.String({ description: 'why the batch failed' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when processing started' })),
  completedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type Batch = Static<typeof Batch>;

/**
 * A batch is final once it can no longer change.
 *
 * @example
 *   isFinal('partial'); // true
 */
export function isFinal(status: BatchStatus): boolean {
  return status === 'success' || status === 'partial' || status === 'failed';
}

/**
 * The final status a batch's counts call for. A file with no data rows (only a header) succeeds.
 *
 * @example
 *   finalStatus({ rowsRead: 3, rowsAccepted: 2, rowsRejected: 1, rowsDuplicate: 0 }); // 'partial'
 */
export function finalStatus(counts: Pick<Batch, 'rowsRead' | 'rowsAccepted' | 'rowsRejected' | 'rowsDuplicate'>): 'success' | 'partial' | 'failed' {
  if (counts.rowsRejected === 0) return 'success';
  return counts.rowsAccepted + counts.rowsDuplicate === 0 ? 'failed' : 'partial';
}
