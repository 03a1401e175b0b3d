/**
 * The browser SDK as the server hands it out: built once per process from its TypeScript source
 * with esbuild (so `npm start` needs no build step and never serves a stale copy), or read from
 * `packages/sdk-web/dist/` when esbuild is not installed. Each file carries its ETag and a
 * gzipped copy.
 *
 * @example
 *   const sdk = await loadSdkBundle();
 *   sdk.files.get('meridian.js')?.etag; // '"…"'
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const SDK_DIST = join(dirname(fileURLToPath(import.meta.url)), '../../../../sdk-web/dist');

export interface StaticFile {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  contentType: string;
}

export interface SdkBundle {
  /** `meridian.js` (standalone, minified), `meridian.min.js` (the same), `meridian.mjs` (ES module). */
  files: ReadonlyMap<string, StaticFile>;
  /** How it was obtained, for logs and the size benchmark. */
  source: 'built' | 'dist';
}

const JS = 'text/javascript; charset=utf-8';

/** A static file with a strong ETag (content hash) and its gzipped bytes. */
export function staticFile(content: string | Buffer, contentType: string): StaticFile {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, contentType };
}

async function buildFromSource(): Promise<SdkBundle> {
  const { buildSdk } = await import('../../../../sdk-web/tools/build.ts');
  const sdk = await buildSdk();
  const iife = staticFile(sdk.iife.code, JS);
  return { files: new Map([['meridian.js', iife], ['meridian.min.js', iife], ['meridian.mjs', staticFile(sdk.esm.code, JS)]]), source: 'built' };
}

function readDist(): SdkBundle | undefined {
  const path = join(SDK_DIST, 'meridian.js');
  if (!existsSync(path)) return undefined;
  const iife = staticFile(readFileSync(path), JS);
  const files = new Map([['meridian.js', iife], ['meridian.min.js', iife]]);
  const esm = join(SDK_DIST, 'meridian.mjs');
  if (existsSync(esm)) files.set('meridian.mjs', staticFile(readFileSync(esm), JS));
  return { files, source: 'dist' };
}

let loading: Promise<SdkBundle> | undefined;

/** The SDK, built at most once per process; rejects only when neither esbuild nor dist/ works. */
export function loadSdkBundle(): Promise<SdkBundle> {
  loading ??= buildFromSource().catch((error: unknown) => {
    const dist = readDist();
    if (dist) return dist;
    loading = undefined; // let a later request try again
    throw error;
  });
  return loading;
}
