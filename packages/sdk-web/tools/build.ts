/**
 * Builds the browser SDK with esbuild: one minified IIFE (`dist/meridian.js`, the `<script>`
 * build) and an ES module (`dist/meridian.mjs`), and reports the gzipped size against the
 * 10 KB budget. The server calls `buildSdk()` at start (in memory); `npm run build:sdk` writes
 * `dist/`.
 *
 * @example
 *   const sdk = await buildSdk();
 *   sdk.iife.code; // minified JavaScript
 *   sdk.iife.gzipBytes <= SIZE_BUDGET_BYTES;
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const SDK_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The gzipped size the standalone build must stay under. */
export const SIZE_BUDGET_BYTES = 10 * 1024;

export interface BuiltFile {
  code: string;
  bytes: number;
  gzipBytes: number;
}

export interface BuiltSdk {
  iife: BuiltFile;
  esm: BuiltFile;
}

async function bundle(entry: string, format: 'iife' | 'esm'): Promise<BuiltFile> {
  const result = await build({
    entryPoints: [join(SDK_ROOT, 'src', entry)],
    bundle: true,
    minify: true,
    format,
    target: 'es2020',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '/* Meridian web SDK | Apache-2.0 */' },
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** Builds both formats in memory. */
export async function buildSdk(): Promise<BuiltSdk> {
  const [iife, esm] = await Promise.all([bundle('global.ts', 'iife'), bundle('index.ts', 'esm')]);
  return { iife, esm };
}

export function describeSize(file: BuiltFile): string {
  return `${(file.bytes / 1024).toFixed(1)} KB minified, ${(file.gzipBytes / 1024).toFixed(2)} KB gzipped (budget ${SIZE_BUDGET_BYTES / 1024} KB)`;
}

/** Builds and writes `dist/meridian.js`, `dist/meridian.min.js` (the same file) and `dist/meridian.mjs`. */
export async function writeSdk(outDir = join(SDK_ROOT, 'dist')): Promise<BuiltSdk> {
  const sdk = await buildSdk();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'meridian.js'), sdk.iife.code);
  writeFileSync(join(outDir, 'meridian.min.js'), sdk.iife.code);
  writeFileSync(join(outDir, 'meridian.mjs'), sdk.esm.code);
  return sdk;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sdk = await writeSdk();
  process.stdout.write(`dist/meridian.js: ${describeSize(sdk.iife)}\ndist/meridian.mjs: ${describeSize(sdk.esm)}\n`);
  if (sdk.iife.gzipBytes > SIZE_BUDGET_BYTES) {
    process.stderr.write('the standalone build is over its size budget\n');
    process.exitCode = 1;
  }
}
