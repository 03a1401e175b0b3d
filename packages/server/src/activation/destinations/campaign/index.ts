/**
 * Campaign destination: audiences dropped as files in the layout a campaign tool's import workflow
 * reads (Adobe Campaign "load file" → recipients): `recipientId` (the CRMID, else the email),
 * `email`, `firstName`, `lastName`, the other mapped attributes, `audienceId`, `audienceName`,
 * `segmentStatus`. The email is the profile's Email identity, or an attribute mapped to `email`.
 * Named like the suite's file exports, written with the `file` type's writers
 * (temporary name, renamed when complete), on the activation's batch schedule. Email channel: only
 * profiles whose email consent allows it are exported, and profiles without an email are left out.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { DestinationDefinition, SettingsIssue } from '../types.ts';
import type { JsonObject } from '../../../storage/json.ts';
import { DEFAULT_FILE_NAME, exportFileName, unknownTokens } from '../file/naming.ts';
import { ConsentPurposesSetting } from '../../consent-filter.ts';
import { commitFile, discard, PartWriter, writeInParts } from '../file/writers.ts';

export const CampaignSettings = Type.Object(
  {
    folder: Type.String({ minLength: 1, maxLength: 500, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9._/-]+$', description: 'drop folder under <data dir>/exports, read by the campaign tool’s import workflow' }),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')], { default: 'csv' })),
    gzip: Type.Optional(Type.Boolean({ default: false })),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, default: ',' })),
    fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: `tokens %DESTINATION%, %SEGMENT_ID%, %SEGMENT_NAME%, %DESTINATION_INSTANCE_ID%, %SANDBOX_NAME%, %DATETIME%; default ${DEFAULT_FILE_NAME}` })),
    maxRowsPerFile: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000_000, default: 5_000_000 })),
    consentPurposes: ConsentPurposesSetting,
  },
  { additionalProperties: false },
);
export type CampaignSettings = Static<typeof CampaignSettings>;

/** Leading and trailing columns of every campaign file; mapped attributes sit between them. */
export const RECIPIENT_COLUMNS = ['recipientId', 'email', 'firstName', 'lastName'] as const;
export const MEMBERSHIP_COLUMNS = ['audienceId', 'audienceName', 'segmentStatus'] as const;

/** The fields the engine's rows carry that are re-shaped, not copied. */
const SOURCE_FIELDS = new Set(['CRMID', 'Email', 'segmentMembershipStatus']);

/**
 * The campaign file's columns from the engine's export columns (identity fields, mapped fields, status).
 *
 * @example
 *   campaignColumns(['CRMID', 'Email', 'firstName', 'tier', 'segmentMembershipStatus']);
 *   // ['recipientId', 'email', 'firstName', 'lastName', 'tier', 'audienceId', 'audienceName', 'segmentStatus']
 */
export function campaignColumns(exportColumns: readonly string[]): string[] {
  const fixed = new Set<string>([...RECIPIENT_COLUMNS, ...MEMBERSHIP_COLUMNS]);
  const mapped = exportColumns.filter((c) => !SOURCE_FIELDS.has(c) && !fixed.has(c) && !c.endsWith('_SHA256'));
  return [...RECIPIENT_COLUMNS, ...mapped, ...MEMBERSHIP_COLUMNS];
}

/** First of several `|`-joined identity values. */
function first(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.split('|')[0] : undefined;
}

/**
 * One engine row → one campaign recipient row, or undefined when the profile has no email.
 *
 * @example
 *   campaignRow({ CRMID: 'C1', Email: 'a@x.test', firstName: 'Ann', segmentMembershipStatus: 'realized' }, { id: 'aud_1', name: 'gold' }, columns);
 *   // { recipientId: 'C1', email: 'a@x.test', firstName: 'Ann', audienceId: 'aud_1', audienceName: 'gold', segmentStatus: 'realized' }
 */
export function campaignRow(row: JsonObject, audience: { id: string; name: string }, columns: readonly string[]): JsonObject | undefined {
  // The Email identity, else an attribute mapped to `email` (e.g. personalEmail.address).
  const email = first(row.Email) ?? first(row.email);
  if (!email) return undefined;
  const filled: JsonObject = {
    ...row,
    recipientId: first(row.CRMID) ?? email,
    email,
    audienceId: audience.id,
    audienceName: audience.name,
    segmentStatus: row.segmentMembershipStatus ?? null,
  };
  const out: JsonObject = {};
  for (const column of columns) if (filled[column] !== undefined) out[column] = filled[column];
  return out;
}

export const campaignDestination: DestinationDefinition<CampaignSettings> = {
  type: 'campaign',
  name: 'Campaign tool (file drop)',
  description: 'Audience recipient files (recipientId, email, names, attributes, audience, status) dropped for a campaign tool’s import workflow',
  settings: CampaignSettings,
  secrets: [],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    if (settings.delimiter !== undefined && (settings.format ?? 'csv') !== 'csv') issues.push({ path: 'delimiter', message: 'applies to csv only' });
    if (settings.delimiter !== undefined && /["\r\n]/.test(settings.delimiter)) issues.push({ path: 'delimiter', message: 'may not be a quote or a line break' });
    for (const token of unknownTokens(settings.fileName ?? DEFAULT_FILE_NAME)) issues.push({ path: 'fileName', message: `unknown token %${token}%` });
    return issues;
  },
  defaultMappings: [
    { source: 'person.name.firstName', destination: 'firstName' },
    { source: 'person.name.lastName', destination: 'lastName' },
  ],
  // Campaign needs the address itself to send: identities go unhashed.
  identities: { namespaces: ['CRMID', 'Email'], minimum: 1, hashing: 'optional' },
  schedules: ['batch'],
  maxBatchSize: () => 1,
  consentPurposes: (settings) => settings.consentPurposes ?? ['email'],
  async exportAudience(job, context) {
    const { settings } = context;
    const format = settings.format ?? 'csv';
    const folder = join(context.exportRoot, settings.folder);
    await mkdir(folder, { recursive: true });
    const extension = format + (settings.gzip ? '.gz' : '');
    const limit = settings.maxRowsPerFile ?? 5_000_000;
    const columns = campaignColumns(job.columns);
    const name = (part: number) =>
      exportFileName(
        settings.fileName ?? DEFAULT_FILE_NAME,
        { destination: context.destination.name, destinationId: context.destination.id, segmentId: job.audience.id, segmentName: job.audience.name, sandboxName: context.destination.sandboxName, at: job.at },
        extension,
        part,
      );
    const parts: PartWriter[] = [];
    const open = () => {
      const writer = new PartWriter(join(folder, `.${randomUUID()}.tmp`), join(folder, name(parts.length + 1)), format, columns, settings.gzip ?? false, settings.delimiter ?? ',');
      parts.push(writer);
      return writer;
    };
    async function* recipients() {
      for await (const chunk of job.rows) yield chunk.map((r) => campaignRow(r, job.audience, columns)).filter((r): r is JsonObject => r !== undefined);
    }
    try {
      const rows = await writeInParts(recipients(), limit, open);
      for (const part of parts) await commitFile(part.tempPath, part.finalPath);
      return { files: parts.map((p) => p.finalPath), rows };
    } finally {
      await discard(parts.map((p) => p.tempPath));
    }
  },
};
