#!/usr/bin/env node
// Runs every *.test.ts under packages/ and loader/ with node's test runner (TypeScript through loader/register.mjs).
// Node 20's runner does not expand globs, so the file list is built here.
// `npm test -- lake batch` runs only the files whose path contains one of the words.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = [...findTests('packages'), ...findTests('loader')].filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filter.join(', ')}`);
  process.exit(1);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : [];
// Test files are isolated (each server has its own port and data directory) and spend much of
// their time waiting on servers, browsers and child processes, so a few run at once.
const concurrency = process.env.MERIDIAN_TEST_CONCURRENCY ?? '3';
const result = spawnSync(process.execPath, ['--import', 'meridian/loader', '--test', `--test-concurrency=${concurrency}`, ...reporter, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
