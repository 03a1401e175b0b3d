/**
 * Uploading files over SFTP with `ssh2`: connect (password or private key, optional host key
 * pinning), create the remote folder if needed, upload each file under a hidden temporary name and
 * rename it into place (POSIX rename when the server offers it), so a reader never sees half a file.
 * Failures come back classified: a refused login, an unknown host key, a missing permission or
 * path are permanent; network failures, timeouts and dropped connections are retried.
 *
 * @example
 *   const remote = await uploadFiles(target, [{ path: '/tmp/a.csv', name: 'a.csv' }]);
 */
import { createHash, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import ssh2, { type Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { DeliveryError } from '../types.ts';
import type { StagedFile } from './staged-export.ts';

export interface SftpTarget {
  host: string;
  port: number;
  username: string;
  auth: { type: 'password'; password: string } | { type: 'privateKey'; privateKey: string; passphrase?: string };
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it; unset = any host key. */
  hostKeyFingerprint?: string;
  folder: string;
  /** How long connecting and logging in may take. */
  connectTimeoutMs: number;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that say the request itself is wrong. */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_OP_UNSUPPORTED = 8;

/** `SHA256:<base64 without padding>` of a raw host key, as OpenSSH prints fingerprints. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Classifies what ssh2 threw. `hostRejected` is set when our host key check refused the server. */
export function classifySftpError(err: unknown, target: Pick<SftpTarget, 'host' | 'port' | 'username'>, hostRejected = false): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as Error & { level?: string; code?: string | number };
  const where = `${target.username}@${target.host}:${target.port}`;
  if (hostRejected) return new DeliveryError(`SFTP host key of ${target.host}:${target.port} does not match hostKeyFingerprint`, false);
  if (e.level === 'client-authentication') return new DeliveryError(`SFTP login refused for ${where}: ${e.message}`, false);
  if (e.level === 'client-timeout') return new DeliveryError(`SFTP ${where} did not answer in time: ${e.message}`, true);
  if (typeof e.code === 'number') {
    const permanent = e.code === SFTP_NO_SUCH_FILE || e.code === SFTP_PERMISSION_DENIED || e.code === SFTP_OP_UNSUPPORTED;
    return new DeliveryError(`SFTP ${where}: ${e.message} (status ${e.code})`, !permanent);
  }
  if (typeof e.code === 'string' || e.level === 'client-socket' || e.level === 'protocol') return new DeliveryError(`SFTP ${where} network error: ${e.code ?? e.message}`, true);
  return new DeliveryError(`SFTP ${where}: ${e.message ?? String(err)}`, false);
}

function call<T = void>(run: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

async function exists(sftp: SFTPWrapper, path: string): Promise<boolean> {
  try {
    await call((cb) => sftp.stat(path, (err) => cb(err)));
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === SFTP_NO_SUCH_FILE) return false;
    throw err;
  }
}

/** Creates the folder and its missing parents (parents are only looked at when the folder is missing: chroots often hide them). */
async function ensureFolder(sftp: SFTPWrapper, folder: string): Promise<void> {
  if (await exists(sftp, folder)) return;
  const absolute = folder.startsWith('/');
  const parts = folder.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 1; i <= parts.length; i++) {
    const path = (absolute ? '/' : '') + parts.slice(0, i).join('/');
    if (!(await exists(sftp, path))) await call((cb) => sftp.mkdir(path, (mkdirErr) => cb(mkdirErr)));
  }
}

async function renameIntoPlace(sftp: SFTPWrapper, temp: string, final: string): Promise<void> {
  try {
    await call((cb) => sftp.ext_openssh_rename(temp, final, cb));
    return;
  } catch (err) {
    // ssh2 throws synchronously when the server lacks posix-rename@openssh.com
    if (!/does not support/i.test((err as Error).message)) throw err;
  }
  // Plain SFTP rename refuses an existing target: a re-run after a crash replaces its own file.
  await call((cb) => sftp.unlink(final, () => cb(null)));
  await call((cb) => sftp.rename(temp, final, cb));
}

function connect(target: SftpTarget): Promise<{ client: Client; sftp: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let hostRejected = false;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(classifySftpError(err, target, hostRejected));
    };
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      ...(target.auth.type === 'password' ? { password: target.auth.password } : { privateKey: target.auth.privateKey, ...(target.auth.passphrase ? { passphrase: target.auth.passphrase } : {}) }),
    };
    const expected = target.hostKeyFingerprint;
    if (expected) {
      config.hostVerifier = (key: Buffer) => {
        hostRejected = hostKeyFingerprint(key) !== expected;
        return !hostRejected;
      };
    }
    client.on('error', fail);
    client.on('ready', () =>
      client.sftp((err, sftp) => {
        if (err) return fail(err);
        settled = true;
        resolve({ client, sftp });
      }),
    );
    try {
      client.connect(config);
    } catch (err) {
      fail(err); // e.g. a key ssh2 cannot parse
    }
  });
}

/** Uploads every file into the target folder; returns their `sftp://` locations. */
export async function uploadFiles(target: SftpTarget, files: readonly StagedFile[]): Promise<string[]> {
  const { client, sftp } = await connect(target);
  // Errors after login (a dropped connection) surface through the pending SFTP call.
  client.on('error', () => undefined);
  const temps: string[] = [];
  try {
    await ensureFolder(sftp, target.folder);
    const locations: string[] = [];
    for (const file of files) {
      const final = posix.join(target.folder, file.name);
      const temp = posix.join(target.folder, `.${file.name}.${randomUUID().slice(0, 8)}.part`);
      temps.push(temp);
      await call((cb) => sftp.fastPut(file.path, temp, cb));
      await renameIntoPlace(sftp, temp, final);
      temps.pop();
      locations.push(`sftp://${target.username}@${target.host}:${target.port}${final.startsWith('/') ? '' : '/~/'}${final}`);
    }
    return locations;
  } catch (err) {
    for (const temp of temps) await call((cb) => sftp.unlink(temp, () => cb(null))).catch(() => undefined);
    throw classifySftpError(err, target);
  } finally {
    client.end();
  }
}
