#!/usr/bin/env node
// The `meridian` command: runs the TypeScript CLI (packages/server/src/cli/main.ts) in a child
// Node process with Meridian's TypeScript loader (loader/register.mjs) and the server's Node flags
// (node-flags.mjs), exactly as `npm start` runs the server. Signals are passed on; the child's
// exit status is ours.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from './node-flags.mjs';

const loader = new URL('../loader/register.mjs', import.meta.url).href;
const cliEntry = fileURLToPath(new URL('../packages/server/src/cli/main.ts', import.meta.url));

const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', loader, cliEntry, ...process.argv.slice(2)], { stdio: 'inherit' });

const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of forwarded) process.on(signal, () => child.kill(signal));

child.on('error', (error) => {
  process.stderr.write(`meridian: cannot start the CLI: ${error.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
});
