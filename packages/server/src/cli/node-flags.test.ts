/**
 * The server runs with its Node flags (bin/node-flags.mjs) however it is started: `npm start`
 * (package.json) and the `meridian` command (bin/meridian.js) both pass them to the server's
 * process, and `npm run bench` to its in-process benchmarks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from '../../../../bin/node-flags.mjs';
import { runCli } from './spawn-cli.ts';

test('npm start and the meridian command run the server process with its Node flags', async () => {
  assert.ok(SERVER_NODE_FLAGS.length > 0);
  const manifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  for (const flag of SERVER_NODE_FLAGS) {
    assert.ok(manifest.scripts.start.split(' ').includes(flag), `npm start passes ${flag}`);
    assert.ok(manifest.scripts.bench.split(' ').includes(flag), `npm run bench passes ${flag}`);
  }
  // Each Node process of the command prints its own flags: the launcher's, then the CLI's.
  const printFlags = '--import=data:text/javascript,console.log(process.execArgv.join(String.fromCharCode(32)))';
  const { code, stdout } = await runCli(['--version'], { NODE_OPTIONS: printFlags });
  assert.equal(code, 0);
  const cli = stdout.split('\n').find((line) => line.includes('--import') && line.includes('register.mjs'));
  assert.ok(cli, `the CLI process printed its flags:\n${stdout}`);
  for (const flag of SERVER_NODE_FLAGS) assert.ok(cli.split(' ').includes(flag), `the meridian command passes ${flag}: ${cli}`);
});
