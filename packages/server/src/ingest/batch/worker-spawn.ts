/**
 * Starting a worker thread from a module beside this one, in TypeScript or compiled JavaScript.
 * Node 20 does not hand the parent's `--import` hooks on to worker threads, so a TypeScript
 * worker registers Meridian's loader (`loader/register.mjs`) itself before loading its module.
 *
 * @example
 *   const worker = startModuleWorker(siblingModule(import.meta.url, 'batch-worker'), { job });
 */
import { Worker } from 'node:worker_threads';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nameThreadSource } from '../../storage/thread-priority.ts';

/**
 * The URL of a module in the same folder, with the caller's own extension (`.ts` from source, `.js` when compiled).
 *
 * @example
 *   siblingModule(import.meta.url, 'batch-worker'); // file:///.../ingest/batch/batch-worker.ts
 */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${extname(fileURLToPath(callerUrl))}`, callerUrl);
}

/**
 * The kernel name of a worker's thread (at most 15 bytes, what `top -H` and `ps -L` show):
 * `mrd-` and the module's name without its `-worker` ending, cut to fit.
 *
 * @example
 *   threadNameOf(new URL('file:///x/record-log-writer-worker.ts')); // 'mrd-record-log-'
 */
export function threadNameOf(module: URL): string {
  const name = basename(fileURLToPath(module), extname(fileURLToPath(module))).replace(/-worker$/, '');
  return `mrd-${name}`.slice(0, 15);
}

/**
 * Starts a worker thread running the module, with `workerData`.
 *
 * @example
 *   startModuleWorker(siblingModule(import.meta.url, 'chunk-reader-worker'), { job, skipRows: 0 });
 */
export function startModuleWorker(module: URL, workerData: unknown): Worker {
  const target = JSON.stringify(module.href);
  const source = module.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('meridian/loader'))}).then(() => import(${target}));`
    : `import(${target});`;
  return new Worker(nameThreadSource(threadNameOf(module)) + source, { eval: true, workerData });
}
