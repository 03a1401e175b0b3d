/**
 * CPU cost of the batch reader thread, in-process: writes the ingest benchmark's profile CSV
 * (200,000 rows by default), builds the batch job a server would build for a `profile` dataset and
 * runs `prepareChunks` over the whole file. Prints rows, CPU µs per row (`process.cpuUsage`: less
 * moved than wall time by other load on the machine, not unmoved; compare best of several runs)
 * and wall rows/s, against csv-parse alone reading the same file in the same run; and a digest of
 * the ids and bodies, to check that a change keeps the output.
 *
 * @example
 *   node --import meridian/loader bench/tools/prepare-chunks-cpu.ts                       # 200,000 rows, one run
 *   node --import meridian/loader bench/tools/prepare-chunks-cpu.ts --rows=50000 --runs=3  # best of 3 runs
 *   node --cpu-prof --import meridian/loader bench/tools/prepare-chunks-cpu.ts --no-baseline  # profile prepareChunks alone
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import type { Dataset } from '../../packages/server/src/catalog/model.ts';
import { prepareChunks, type BatchJob } from '../../packages/server/src/ingest/batch/prepare-chunks.ts';
import type { SchemaDoc } from '../../packages/server/src/schema/model.ts';
import { SchemaService } from '../../packages/server/src/schema/service.ts';
import { SqliteSchemaStore } from '../../packages/server/src/schema/sqlite-store.ts';
import { openSqlite } from '../../packages/server/src/storage/sqlite.ts';
import { writeProfileCsv } from '../fixtures/profile-csv.ts';
import { formatInteger, formatMiB, formatRatio } from '../lib/stats.ts';

const SANDBOX = 'sbx_bench';
const TARGET_CPU_MICROS_PER_ROW = 8;

interface Run {
  rows: number;
  cpuMicros: number;
  wallMs: number;
}

/** What a run did; `uncountedMicros` is CPU the bench itself spent inside the run (the digest), left out of its figure. */
interface Work {
  rows: number;
  uncountedMicros: number;
}

/** The `profile` schema exactly as a new sandbox gets it. */
async function profileSchema(): Promise<SchemaDoc> {
  const schemas = new SchemaService(new SqliteSchemaStore(openSqlite(':memory:')));
  await schemas.seedSandbox(SANDBOX);
  return (await schemas.compile(SANDBOX, 'profile')).doc;
}

function jobFor(schema: SchemaDoc, filePath: string): BatchJob {
  const now = new Date().toISOString();
  const dataset: Dataset = { id: 'dst_bench', name: 'bench_profiles', schemaId: schema.id, class: schema.class, profileEnabled: true, labels: [], createdAt: now, updatedAt: now };
  return { sandboxId: SANDBOX, batchId: 'bat_bench', dataset, schema, format: 'csv', ignoreUnknownColumns: false, filePath, chunkRows: 2000 };
}

function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function measure(work: () => Promise<Work>): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { rows, uncountedMicros } = await work();
  const cpuMicros = cpuMicrosSince(cpu) - uncountedMicros;
  return { rows, cpuMicros, wallMs: performance.now() - started - uncountedMicros / 1000 };
}

/** csv-parse alone, with the options the batch reader used before it had its own parser. */
async function csvParseOnly(path: string): Promise<Work> {
  let rows = 0;
  const parser = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(parse({ bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }));
  for await (const _cells of parser) rows++;
  return { rows: rows - 1, uncountedMicros: 0 };
}

async function prepareAll(job: BatchJob, digest: { value: string }): Promise<Work> {
  const hash = createHash('sha256');
  let rows = 0;
  let rejected = 0;
  let uncountedMicros = 0;
  for await (const chunk of prepareChunks(job, 0)) {
    const hashing = process.cpuUsage();
    rows += chunk.rowsRead;
    rejected += chunk.rejections.length;
    for (let i = 0; i < chunk.bodies.length; i++) hash.update(chunk.recordIds[i]).update('\n').update(chunk.bodies[i]).update('\n');
    uncountedMicros += cpuMicrosSince(hashing);
  }
  if (rejected > 0) throw new Error(`${rejected} rows were rejected; the fixture should be all valid`);
  digest.value = hash.digest('hex').slice(0, 16);
  return { rows, uncountedMicros };
}

function describe(run: Run): string {
  return `${formatInteger(run.rows)} rows, ${(run.cpuMicros / run.rows).toFixed(2)} µs CPU/row, ${formatInteger(run.rows / (run.wallMs / 1000))} rows/s wall`;
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.cpuMicros < a.cpuMicros ? b : a));
}

function option(name: string, fallback: number): number {
  const given = process.argv.find((a) => a.startsWith(`--${name}=`));
  return given === undefined ? fallback : Number(given.slice(name.length + 3));
}

async function main(): Promise<void> {
  const rows = option('rows', 200_000);
  const repeats = option('runs', 1);
  const withBaseline = !process.argv.includes('--no-baseline');
  const dir = mkdtempSync(join(tmpdir(), 'meridian-prepare-cpu-'));
  try {
    const path = join(dir, 'profiles.csv');
    const { bytes } = await writeProfileCsv(path, rows);
    const job = jobFor(await profileSchema(), path);
    console.log(`file: ${formatInteger(rows)} rows, ${formatMiB(bytes)}; best of ${repeats} run(s)`);

    const baselineRuns: Run[] = [];
    const prepareRuns: Run[] = [];
    const digest = { value: '' };
    for (let i = 0; i < repeats; i++) {
      if (withBaseline) baselineRuns.push(await measure(() => csvParseOnly(path)));
      prepareRuns.push(await measure(() => prepareAll(job, digest)));
    }
    const prepared = best(prepareRuns);
    const perRow = prepared.cpuMicros / prepared.rows;
    if (withBaseline) console.log(`baseline csv-parse alone:  ${describe(best(baselineRuns))}`);
    console.log(`prepareChunks:             ${describe(prepared)}  (target ≤ ${TARGET_CPU_MICROS_PER_ROW} µs: ${perRow <= TARGET_CPU_MICROS_PER_ROW ? 'met' : 'NOT met'})`);
    if (withBaseline) {
      const baseline = best(baselineRuns);
      console.log(`ratio prepareChunks/csv-parse CPU per row: ${formatRatio(perRow / (baseline.cpuMicros / baseline.rows))}`);
    }
    console.log(`output digest (ids and bodies): ${digest.value}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
