/**
 * Module hooks for `register.mjs`: a `file:` URL ending in `.ts` is read, compiled by esbuild's
 * `transform` (strip types, ES modules, inline source map, no `keepNames`) and handed to Node as
 * an ES module; everything else goes to Node's own loader. Compiled modules are kept under
 * `node_modules/.cache/meridian-ts/`, keyed by a hash of the path, the source, the options and the
 * esbuild version, so a restart or a new worker thread does not compile again. A cache file is
 * written under a temporary name and renamed, so processes starting together never read half of one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform, version } from 'esbuild';

const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', keepNames: false };
const CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/meridian-ts/', import.meta.url));
const OPTIONS_KEY = `${version}\u0000${JSON.stringify(OPTIONS)}`;
let cacheReady;

async function compile(path, source) {
  const key = createHash('sha256').update(OPTIONS_KEY).update('\u0000').update(path).update('\u0000').update(source).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  try {
    return await readFile(cached, 'utf8');
  } catch {
    // not compiled yet
  }
  const { code } = await transform(source, { ...OPTIONS, sourcefile: path });
  try {
    cacheReady ??= mkdir(CACHE_DIR, { recursive: true });
    await cacheReady;
    const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(temporary, code);
    await rename(temporary, cached);
  } catch {
    // A read-only install still runs; it compiles on every start.
  }
  return code;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  return { format: 'module', source: await compile(path, await readFile(path, 'utf8')), shortCircuit: true };
}
