/**
 * S3-compatible object storage destination (AWS S3, MinIO, Ceph, R2, …): the `file` type's audience
 * files (CSV, JSON lines, Parquet; gzip; the suite's names; split at a row limit) PUT into a bucket
 * under a prefix (multipart above `partSizeMiB`), signed with AWS Signature Version 4 (no SDK).
 * Path-style addressing for stores that need it; session tokens for temporary credentials.
 */
import { posix } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { DestinationDefinition, SettingsIssue } from '../types.ts';
import { httpUrlIssue } from '../http.ts';
import { exportThroughStaging, fileShapeIssues, FileShapeFields } from '../sftp/staged-export.ts';
import { putFile, type S3Target } from './client.ts';
import { fileDropTraits } from '../file/index.ts';

export const S3Settings = Type.Object(
  {
    bucket: Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$', description: 'bucket name (S3 naming rules)' }),
    prefix: Type.Optional(Type.String({ maxLength: 500, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9!_.*\'()/-]*$', description: 'key prefix, e.g. `meridian/exports/` (a `/` is added between prefix and file name when missing)' })),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9-]+$', default: 'us-east-1' })),
    endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'service origin; default https://s3.<region>.amazonaws.com' })),
    forcePathStyle: Type.Optional(Type.Boolean({ default: false, description: 'address objects as <endpoint>/<bucket>/<key> (MinIO and most self-hosted stores)' })),
    accessKeyId: Type.String({ minLength: 1, maxLength: 200 }),
    secretAccessKey: Type.String({ minLength: 1, maxLength: 500 }),
    sessionToken: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: 'for temporary credentials (x-amz-security-token)' })),
    partSizeMiB: Type.Optional(
      Type.Integer({ minimum: 5, maximum: 5120, default: 64, description: 'files larger than this go in a multipart upload of parts this size (raised to stay within 10,000 parts)' }),
    ),
    ...FileShapeFields,
  },
  { additionalProperties: false },
);
export type S3Settings = Static<typeof S3Settings>;

const CONTENT_TYPES = { csv: 'text/csv', jsonl: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet' } as const;

export function s3Target(settings: S3Settings): S3Target {
  const region = settings.region ?? 'us-east-1';
  return {
    bucket: settings.bucket,
    region,
    endpoint: settings.endpoint ?? `https://s3.${region}.amazonaws.com`,
    forcePathStyle: settings.forcePathStyle ?? false,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
    ...(settings.partSizeMiB !== undefined ? { partBytes: settings.partSizeMiB * 1024 ** 2 } : {}),
  };
}

/** The object key of an export file: `<prefix>/<name>` (no double slash). */
export function objectKey(prefix: string | undefined, name: string): string {
  return prefix ? posix.join(prefix, name) : name;
}

export const s3: DestinationDefinition<S3Settings> = {
  type: 's3',
  name: 'S3-compatible object storage',
  description: 'Scheduled audience files (CSV, JSON lines, Parquet; gzip) PUT into an S3 / MinIO bucket (Signature Version 4)',
  settings: S3Settings,
  secrets: ['secretAccessKey', 'sessionToken'],
  validate(settings) {
    const issues: SettingsIssue[] = fileShapeIssues(settings);
    if (settings.endpoint !== undefined) {
      const urlIssue = httpUrlIssue(settings.endpoint);
      if (urlIssue) issues.push({ path: 'endpoint', message: urlIssue });
      else {
        const url = new URL(settings.endpoint);
        if (url.pathname !== '/' || url.search || url.username) issues.push({ path: 'endpoint', message: 'must be an origin only (scheme, host, port), without path, query or credentials' });
      }
    }
    return issues;
  },
  ...fileDropTraits<S3Settings>(),
  async exportAudience(job, context) {
    const { settings } = context;
    const target = s3Target(settings);
    return exportThroughStaging(job, context, async (files) => {
      const locations: string[] = [];
      for (const file of files) {
        const contentType = file.name.endsWith('.gz') ? 'application/gzip' : CONTENT_TYPES[settings.format];
        locations.push(await putFile(target, objectKey(settings.prefix, file.name), file.path, contentType));
      }
      return locations;
    });
  },
};
