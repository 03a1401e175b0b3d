/**
 * Runs Meridian's TypeScript sources directly: `node --import ./loader/register.mjs main.ts`.
 * Registers `hooks.mjs`, which compiles each `.ts` module with esbuild as it is loaded (types
 * stripped, nothing bundled), and turns on source maps so stack traces name the `.ts` lines.
 *
 * Why not a general-purpose loader: those compile with esbuild's `keepNames`, which wraps every
 * function and closure in a helper that calls `Object.defineProperty` on it each time it is
 * created. Hot paths create closures per call (`map`, `filter`, `sort` callbacks): a loop creating
 * one and sorting three numbers took 0.76 µs per iteration that way, 0.10 µs without.
 *
 * Worker threads register it again themselves (Node 20 does not pass `--import` hooks on to them):
 * see `packages/server/src/ingest/batch/worker-spawn.ts`.
 */
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url);
