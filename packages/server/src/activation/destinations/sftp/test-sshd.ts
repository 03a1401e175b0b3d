/**
 * Test support: a throwaway OpenSSH server on loopback (Debian's `/usr/sbin/sshd`) with its own
 * host key, an authorized client key generated here, `internal-sftp`, run as the current user, and
 * a temporary folder to receive files. `SSHD` is undefined when sshd is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = existsSync('/usr/sbin/sshd') ? '/usr/sbin/sshd' : undefined;

export interface TestSshd {
  port: number;
  username: string;
  /** The authorized client key (OpenSSH private key text). */
  clientKey: string;
  /** A key the server does not know. */
  strangerKey: string;
  /** `SHA256:…` of the server's host key. */
  hostFingerprint: string;
  /** A temporary folder for uploads (absolute). */
  root: string;
  stop(): Promise<void>;
}

function keygen(path: string): string {
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', path, '-N', ''], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return readFileSync(path, 'utf8');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function startSshd(): Promise<TestSshd> {
  if (!SSHD) throw new Error('sshd is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sshd-'));
  keygen(join(dir, 'host'));
  const clientKey = keygen(join(dir, 'client'));
  const strangerKey = keygen(join(dir, 'stranger'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')));
  const fingerprint = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host.pub')], { encoding: 'utf8' }).stdout.split(' ')[1];
  const root = join(dir, 'drop');
  mkdirSync(root);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `HostKey ${join(dir, 'host')}`,
      'ListenAddress 127.0.0.1',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PidFile none',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  // Run as root, sshd insists on its privilege separation folder (the Debian package's service makes it).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${log}`)), 5000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}): ${log}`));
    });
  });
  child.stderr!.resume();
  return {
    port,
    username: userInfo().username,
    clientKey,
    strangerKey,
    hostFingerprint: fingerprint,
    root,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
