/**
 * SFTP destination: the `file` type's audience files (CSV, JSON lines, Parquet; gzip; the suite's
 * names; split at a row limit) uploaded to a folder on an SFTP server, with password or private-key
 * login and optional host key pinning. Each file is uploaded under a hidden temporary name and
 * renamed into place, so the receiving side never picks up half a file.
 */
import { Type, type Static } from '@sinclair/typebox';
import ssh2 from 'ssh2';
import type { DestinationDefinition, SettingsIssue } from '../types.ts';
import { exportThroughStaging, fileShapeIssues, FileShapeFields } from './staged-export.ts';
import { uploadFiles } from './client.ts';
import { fileDropTraits } from '../file/index.ts';

export const SftpSettings = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\[\\]_-]+$', description: 'host name or IP address' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535, default: 22 })),
    username: Type.String({ minLength: 1, maxLength: 100 }),
    auth: Type.Union([
      Type.Object({ type: Type.Literal('password'), password: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
      Type.Object(
        {
          type: Type.Literal('privateKey'),
          privateKey: Type.String({ minLength: 1, maxLength: 20_000, description: 'PEM or OpenSSH private key' }),
          passphrase: Type.Optional(Type.String({ maxLength: 1000 })),
        },
        { additionalProperties: false },
      ),
    ]),
    hostKeyFingerprint: Type.Optional(Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}$', description: 'the server\'s host key as `ssh-keygen -lf` prints it; unset accepts any host key' })),
    folder: Type.String({ minLength: 1, maxLength: 500, pattern: '^(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9._/-]+$', description: 'remote folder (absolute, or relative to the login folder); created when missing' }),
    ...FileShapeFields,
  },
  { additionalProperties: false },
);
export type SftpSettings = Static<typeof SftpSettings>;

const CONNECT_TIMEOUT_MS = 10_000;

export const sftp: DestinationDefinition<SftpSettings> = {
  type: 'sftp',
  name: 'SFTP file drop',
  description: 'Scheduled audience files (CSV, JSON lines, Parquet; gzip) uploaded to an SFTP server',
  settings: SftpSettings,
  secrets: ['auth.password', 'auth.privateKey', 'auth.passphrase'],
  validate(settings) {
    const issues: SettingsIssue[] = fileShapeIssues(settings);
    if (settings.auth.type === 'privateKey') {
      const parsed = ssh2.utils.parseKey(settings.auth.privateKey, settings.auth.passphrase);
      if (parsed instanceof Error) issues.push({ path: 'auth.privateKey', message: `cannot be read: ${parsed.message}` });
      else if (!parsed.isPrivateKey()) issues.push({ path: 'auth.privateKey', message: 'is a public key' });
    }
    return issues;
  },
  ...fileDropTraits<SftpSettings>(),
  async exportAudience(job, context) {
    const { settings } = context;
    return exportThroughStaging(job, context, (files) =>
      uploadFiles(
        {
          host: settings.host,
          port: settings.port ?? 22,
          username: settings.username,
          auth: settings.auth,
          ...(settings.hostKeyFingerprint ? { hostKeyFingerprint: settings.hostKeyFingerprint } : {}),
          folder: settings.folder,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
        },
        files,
      ),
    );
  },
};
