/**
 * Web SDK size: builds Meridian's browser SDK as the server serves it (`/sdk/meridian.js`,
 * minified IIFE) and its ES module, and reports bytes minified and gzipped (level 9) against the
 * 10 KB gzipped budget, beside the standalone Adobe Web SDK (`@adobe/alloy` dist/alloy.min.js)
 * gzipped in the same run as the baseline. Also times the build the server runs at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSdk, SIZE_BUDGET_BYTES } from '../packages/sdk-web/tools/build.ts';
import { say, type BenchmarkReport } from './lib/report.ts';

const NAME = 'sdk-size';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;

/** The gzipped size of the alloy standalone build, when the package is installed. */
function alloyGzipBytes(): number | undefined {
  const path = fileURLToPath(new URL('../node_modules/@adobe/alloy/dist/alloy.min.js', import.meta.url));
  return existsSync(path) ? gzipSync(readFileSync(path), { level: 9 }).length : undefined;
}

export async function runSdkSize(): Promise<BenchmarkReport> {
  const started = performance.now();
  const sdk = await buildSdk();
  const buildMs = performance.now() - started;
  say(NAME, `meridian.js ${kb(sdk.iife.bytes)} minified, ${kb(sdk.iife.gzipBytes)} gzipped; built in ${buildMs.toFixed(0)} ms`);
  const figures: BenchmarkReport['figures'] = [
    { measure: 'meridian.js gzipped', value: kb(sdk.iife.gzipBytes), target: `≤ ${SIZE_BUDGET_BYTES / 1024} KB`, met: sdk.iife.gzipBytes <= SIZE_BUDGET_BYTES },
    { measure: 'meridian.js minified', value: kb(sdk.iife.bytes) },
    { measure: 'meridian.mjs gzipped', value: kb(sdk.esm.gzipBytes) },
    { measure: 'build time (server start)', value: `${buildMs.toFixed(0)} ms` },
  ];
  const notes = ['esbuild, minified, target es2020; gzip level 9 (what the server sends to clients that accept gzip)'];
  const alloy = alloyGzipBytes();
  if (alloy !== undefined) {
    figures.push({ measure: 'vs alloy.min.js gzipped', value: `${kb(alloy)} (Meridian is ${((sdk.iife.gzipBytes / alloy) * 100).toFixed(1)}% of it)` });
    notes.push('baseline: @adobe/alloy dist/alloy.min.js, all components, gzipped the same way in this run');
  }
  return { benchmark: NAME, figures, notes };
}
