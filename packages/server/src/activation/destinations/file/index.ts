/**
 * File destination: one file set per audience and run, in CSV, JSON lines or Parquet (CSV and JSON
 * lines optionally gzipped), named like the suite's exports, split at a row limit, written to a
 * folder under `<data dir>/exports`. Each row: identity fields, mapped fields, membership status.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { DestinationDefinition, SettingsIssue } from '../types.ts';
import { DEFAULT_FILE_NAME, exportFileName, unknownTokens } from './naming.ts';
import { ConsentPurposesSetting, DEFAULT_CONSENT_PURPOSES } from '../../consent-filter.ts';
import { commitFile, discard, PartWriter, toParquet, writeInParts } from './writers.ts';

export const FileSettings = Type.Object(
  {
    folder: Type.String({ minLength: 1, maxLength: 500, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9._/-]+$', description: 'folder under <data dir>/exports' }),
    format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl'), Type.Literal('parquet')]),
    gzip: Type.Optional(Type.Boolean({ default: false })),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, default: ',' })),
    fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: `tokens %DESTINATION%, %SEGMENT_ID%, %SEGMENT_NAME%, %DESTINATION_INSTANCE_ID%, %SANDBOX_NAME%, %DATETIME%; default ${DEFAULT_FILE_NAME}` })),
    maxRowsPerFile: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000_000, default: 5_000_000 })),
    consentPurposes: ConsentPurposesSetting,
  },
  { additionalProperties: false },
);
export type FileSettings = Static<typeof FileSettings>;

const EXTENSIONS = { csv: 'csv', jsonl: 'jsonl', parquet: 'parquet' } as const;

/**
 * What every file-drop type (local folder, SFTP, S3) shares: name columns by default, any one
 * identity (hashed or not), batch schedules only, one audience per export, and the consent
 * purposes its settings name (default: any marketing).
 */
export function fileDropTraits<S extends { consentPurposes?: FileSettings['consentPurposes'] }>(): Pick<
  DestinationDefinition<S>,
  'defaultMappings' | 'identities' | 'schedules' | 'maxBatchSize' | 'consentPurposes'
> {
  return {
    defaultMappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'person.name.lastName', destination: 'lastName' },
    ],
    identities: { namespaces: [], minimum: 1, hashing: 'optional' },
    schedules: ['batch'],
    maxBatchSize: () => 1,
    consentPurposes: (settings) => settings.consentPurposes ?? DEFAULT_CONSENT_PURPOSES,
  };
}

export const fileDestination: DestinationDefinition<FileSettings> = {
  type: 'file',
  name: 'File export',
  description: 'Scheduled audience files (CSV, JSON lines, Parquet; gzip) in a local folder',
  settings: FileSettings,
  secrets: [],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    if (settings.gzip && settings.format === 'parquet') issues.push({ path: 'gzip', message: 'Parquet files are compressed inside (zstd); gzip applies to csv and jsonl' });
    if (settings.delimiter !== undefined && settings.format !== 'csv') issues.push({ path: 'delimiter', message: 'applies to csv only' });
    if (settings.delimiter !== undefined && /["\r\n]/.test(settings.delimiter)) issues.push({ path: 'delimiter', message: 'may not be a quote or a line break' });
    for (const token of unknownTokens(settings.fileName ?? DEFAULT_FILE_NAME)) issues.push({ path: 'fileName', message: `unknown token %${token}%` });
    return issues;
  },
  ...fileDropTraits<FileSettings>(),
  async exportAudience(job, context) {
    const { settings } = context;
    const folder = join(context.exportRoot, settings.folder);
    await mkdir(folder, { recursive: true });
    const extension = EXTENSIONS[settings.format] + (settings.gzip ? '.gz' : '');
    const limit = settings.maxRowsPerFile ?? 5_000_000;
    const name = (part: number) =>
      exportFileName(
        settings.fileName ?? DEFAULT_FILE_NAME,
        { destination: context.destination.name, destinationId: context.destination.id, segmentId: job.audience.id, segmentName: job.audience.name, sandboxName: context.destination.sandboxName, at: job.at },
        extension,
        part,
      );
    const parts: PartWriter[] = [];
    const open = () => {
      const finalPath = join(folder, name(parts.length + 1));
      const temp = join(folder, `.${randomUUID()}.tmp`);
      const writer = new PartWriter(temp, finalPath, settings.format, job.columns, settings.gzip ?? false, settings.delimiter ?? ',');
      parts.push(writer);
      return writer;
    };
    const temps: string[] = [];
    try {
      const rows = await writeInParts(job.rows, limit, open);
      for (const part of parts) {
        if (settings.format === 'parquet') {
          const parquetTemp = `${part.tempPath}.parquet`;
          temps.push(parquetTemp);
          await toParquet(part.tempPath, parquetTemp, job.columns, part.sqlTypes());
          await commitFile(parquetTemp, part.finalPath);
        } else await commitFile(part.tempPath, part.finalPath);
      }
      return { files: parts.map((p) => p.finalPath), rows };
    } finally {
      await discard([...parts.map((p) => p.tempPath), ...temps]);
    }
  },
};
