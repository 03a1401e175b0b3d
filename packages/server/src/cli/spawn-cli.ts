/**
 * Test helper: runs the real `meridian` command (`node bin/meridian.js ...`) as an operator would,
 * asynchronously so a test server in the calling process keeps answering meanwhile.
 *
 * @example
 *   const { code, stdout } = await runCli(['keys', 'list', '--data-dir', dir]);
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../../../bin/meridian.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment: no MERIDIAN_* variable leaks in from the caller's. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MERIDIAN_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [LAUNCHER, ...args], { env: { ...inherited, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
