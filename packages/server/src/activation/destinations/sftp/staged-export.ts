/**
 * Remote file destinations (SFTP, S3) write an audience's files exactly as the `file` type does —
 * same formats, gzip, naming and row split — into a private staging folder under
 * `<data dir>/exports/.staging/`, upload them, and remove the staging folder whatever happens.
 *
 * @example
 *   await exportThroughStaging(job, context, settings, async (files) => files.map((f) => upload(f.path, f.name)));
 */
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { fileDestination, type FileSettings } from '../file/index.ts';
import { DEFAULT_FILE_NAME } from '../file/naming.ts';
import { ConsentPurposesSetting } from '../../consent-filter.ts';
import type { AudienceExport, DeliveryContext, SettingsIssue } from '../types.ts';

/** The file-shaping settings remote file types share with the `file` type (all but `folder`). */
export const FileShapeFields = {
  format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl'), Type.Literal('parquet')]),
  gzip: Type.Optional(Type.Boolean({ default: false })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, default: ',' })),
  fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: `tokens %DESTINATION%, %SEGMENT_ID%, %SEGMENT_NAME%, %DESTINATION_INSTANCE_ID%, %SANDBOX_NAME%, %DATETIME%; default ${DEFAULT_FILE_NAME}` })),
  maxRowsPerFile: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000_000, default: 5_000_000 })),
  consentPurposes: ConsentPurposesSetting,
};
const FileShape = Type.Object(FileShapeFields);
export type FileShape = Static<typeof FileShape>;

const STAGING = '.staging';

function fileSettings(shape: FileShape, folder: string): FileSettings {
  return {
    folder,
    format: shape.format,
    ...(shape.gzip !== undefined ? { gzip: shape.gzip } : {}),
    ...(shape.delimiter !== undefined ? { delimiter: shape.delimiter } : {}),
    ...(shape.fileName !== undefined ? { fileName: shape.fileName } : {}),
    ...(shape.maxRowsPerFile !== undefined ? { maxRowsPerFile: shape.maxRowsPerFile } : {}),
  };
}

/** The `file` type's checks of the shared fields (gzip with Parquet, delimiter, name tokens). */
export function fileShapeIssues(shape: FileShape): SettingsIssue[] {
  return fileDestination.validate?.(fileSettings(shape, STAGING)) ?? [];
}

export interface StagedFile {
  /** Local path of the finished file. */
  path: string;
  /** Its export name (`<template>[_n].<ext>[.gz]`). */
  name: string;
}

/**
 * Writes the audience's files locally, hands them to `upload` (which returns where each went),
 * and always removes the local copies.
 */
export async function exportThroughStaging(
  job: AudienceExport,
  context: DeliveryContext<FileShape>,
  upload: (files: readonly StagedFile[]) => Promise<string[]>,
): Promise<{ files: string[]; rows: number }> {
  const stagingRoot = join(context.exportRoot, STAGING);
  const folder = randomUUID();
  try {
    const local = await fileDestination.exportAudience!(job, { ...context, exportRoot: stagingRoot, settings: fileSettings(context.settings, folder) });
    const files = await upload(local.files.map((path) => ({ path, name: basename(path) })));
    return { files, rows: local.rows };
  } finally {
    await rm(join(stagingRoot, folder), { recursive: true, force: true });
  }
}
