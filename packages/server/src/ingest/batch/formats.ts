/**
 * Which file format an upload holds: the `format` query parameter when given, else the media type.
 *
 * @example
 *   resolveFormat(undefined, 'text/csv; charset=utf-8'); // 'csv'
 *   resolveFormat('parquet', 'application/octet-stream'); // 'parquet'
 */
import { problem } from '../../errors.ts';
import type { BatchFormat } from './model.ts';

const FORMAT_BY_MEDIA_TYPE: Record<string, BatchFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
};

/** Media types the upload route documents; any other type needs `?format=`. */
export const BATCH_MEDIA_TYPES = [...Object.keys(FORMAT_BY_MEDIA_TYPE), 'application/octet-stream'];

export const FILE_EXTENSION: Record<BatchFormat, string> = { csv: 'csv', jsonl: 'jsonl', parquet: 'parquet' };

export function resolveFormat(format: BatchFormat | undefined, contentType: string | undefined): BatchFormat {
  if (format) return format;
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const byType = FORMAT_BY_MEDIA_TYPE[mediaType];
  if (byType) return byType;
  throw problem(
    'UNSUPPORTED_MEDIA_TYPE',
    `cannot tell the file format from content type "${mediaType || '(none)'}": send text/csv, application/x-ndjson or application/vnd.apache.parquet, or add ?format=csv|jsonl|parquet`,
  );
}
