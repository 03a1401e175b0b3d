/**
 * Batch-file ingest benchmark: a generated CSV of customer profiles (up to 500,000 rows, and a
 * file a quarter that size) is streamed to the real Meridian server's batch API
 * (`POST /api/v1/datasets/{id}/batches?format=csv`) and polled until done: rows/s, and the
 * server's peak RSS for both sizes, each in a fresh server (memory must not grow with the file).
 * The full file's server then loads a second file as large: the target judges that second batch,
 * as on a server that has run before; the first batch's figure shows what a fresh process pays to
 * compile its threads' code. Baseline in the same run: csv-parse alone reading the same file. A
 * short calibration run sizes the files so the whole benchmark stays within its time budget
 * however fast the server is (BENCH_CSV_ROWS=<n> fixes the size instead).
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { ApiClient } from '../packages/server/src/cli/api-client.ts';
import { uploadBatchFile, waitForBatch, type Batch } from '../packages/server/src/cli/batch-upload.ts';
import type { Dataset } from '../packages/server/src/catalog/model.ts';
import { crmIdOf, writeProfileCsv } from './fixtures/profile-csv.ts';
import { describeThreads, startServerProcess, type ServerProcess, type ThreadTime } from './lib/server-process.ts';
import { machineCores, readMachineBusy } from './lib/machine-load.ts';
import { benchScale, say, type BenchmarkReport, type Figure } from './lib/report.ts';
import { formatInteger, formatMiB, formatRatio } from './lib/stats.ts';

const NAME = 'ingest-csv';
const ADMIN_KEY = 'mrd_bench_admin_key_0123456789abcdef';
const MAX_FULL_ROWS = 500_000;
const MIN_FULL_ROWS = 40_000;
const CALIBRATION_ROWS = 20_000;
/** How long the full file should take, at the rate the calibration run measured. */
const FULL_FILE_SECONDS = 30;
const TARGET_ROWS_PER_SECOND = 100_000;
/** Peak RSS of the full file may exceed the quarter file's by this much and still count as flat. */
const FLAT_MEMORY_TOLERANCE = 1.25;
const BATCH_ROUTE = '/api/v1/datasets/{id}/batches';
/** A batch still running after this long fails the benchmark rather than hanging it. */
const BATCH_TIMEOUT_MS = 5 * 60_000;

interface FileRun {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  /** From the upload's start until the profile of the file's last row can be read. */
  profileSeconds: number;
  batch: Batch;
  idleRssBytes: number;
  peakRssBytes: number;
  /** Server CPU (all threads) from the upload's start until the last profile was readable. */
  serverCpuSeconds: number;
  serverCores: number;
  otherCores: number;
  /** CPU of the server's threads by name from the upload's start until the batch succeeded (Linux only). */
  threads: ThreadTime[];
}

async function startMeridian(dataDir: string): Promise<ServerProcess> {
  return startServerProcess('meridian-server.ts', {
    MERIDIAN_DATA_DIR: dataDir,
    MERIDIAN_PORT: '0',
    MERIDIAN_HOST: '127.0.0.1',
    MERIDIAN_LOG_LEVEL: 'silent',
    MERIDIAN_ADMIN_KEY: ADMIN_KEY,
  });
}

/** Whether the server documents the batch upload route (it is being built alongside this bench). */
async function hasBatchApi(server: ServerProcess): Promise<boolean> {
  const response = await fetch(`${server.url}/openapi.json`);
  const spec = (await response.json()) as { paths?: Record<string, Record<string, unknown>> };
  return spec.paths?.[BATCH_ROUTE]?.post !== undefined;
}

/** csv-parse alone, reading the file into row objects: the floor any CSV ingest pays. */
async function parseOnly(path: string): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  for await (const _row of createReadStream(path).pipe(parse({ columns: true }))) rows++;
  return { rows, seconds: (performance.now() - started) / 1000 };
}

/** Waits until the merged profile of `crmId` can be read: profile projection has reached it. */
async function waitForProfile(api: ApiClient, crmId: string): Promise<void> {
  const deadline = performance.now() + BATCH_TIMEOUT_MS;
  const path = `/api/v1/profiles?identity=${encodeURIComponent(`CRMID:${crmId}`)}`;
  for (;;) {
    const response = await fetch(api.connection.url + path, { headers: api.headers() });
    await response.arrayBuffer();
    if (response.status === 200) return;
    if (response.status !== 404) throw new Error(`GET ${path} answered ${response.status}`);
    if (performance.now() > deadline) throw new Error(`the profile of ${crmId} was not readable after ${BATCH_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

interface CsvFile {
  path: string;
  rows: number;
  bytes: number;
  /** The number of the file's first row (`crmIdOf`): files with other people have other numbers. */
  first: number;
}

/** Uploads a file to a running server and waits for the batch, then for the profile of its last row. */
async function ingestFile(server: ServerProcess, api: ApiClient, file: CsvFile): Promise<FileRun> {
  const { rows } = file;
  const dataset = await api.request<Dataset>('POST', '/api/v1/datasets', { name: `bench_profiles_${file.first}`, schemaId: 'profile', profileEnabled: true });
  const idle = await server.usage();
  const machineBefore = readMachineBusy();
  const meter = server.cpuMeter();
  await meter.onMeasuredPhase('start');
  const started = performance.now();
  const accepted = await uploadBatchFile(api, { datasetId: dataset.id, path: file.path, format: 'csv' }, () => {});
  const batch = await waitForBatch(api, accepted.id, () => {}, { intervalMs: 50, timeoutMs: BATCH_TIMEOUT_MS });
  const seconds = (performance.now() - started) / 1000;
  await meter.onMeasuredPhase('end');
  await waitForProfile(api, crmIdOf(file.first + rows - 1));
  const profileSeconds = (performance.now() - started) / 1000;
  const machine = machineCores(machineBefore, readMachineBusy());
  const after = await server.usage();
  const serverCpuSeconds = (after.cpuUserMicros + after.cpuSystemMicros - idle.cpuUserMicros - idle.cpuSystemMicros) / 1e6;
  const serverCores = serverCpuSeconds / profileSeconds;
  if (batch.status !== 'success' || batch.rowsAccepted !== rows) {
    throw new Error(`batch ${batch.id} ended ${batch.status} with ${batch.rowsAccepted}/${rows} rows accepted${batch.error ? `: ${batch.error}` : ''}`);
  }
  return {
    rows,
    bytes: file.bytes,
    seconds,
    rowsPerSecond: rows / seconds,
    profileSeconds,
    batch,
    idleRssBytes: idle.rssBytes,
    peakRssBytes: after.maxRssBytes,
    serverCores,
    serverCpuSeconds,
    otherCores: Math.max(0, machine - serverCores),
    threads: meter.threads(),
  };
}

/** Ingests the files one after another into one fresh server; resolves with a run per file. */
async function ingestFiles(files: CsvFile[]): Promise<FileRun[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-csv-'));
  const server = await startMeridian(dataDir);
  try {
    const api = new ApiClient({ url: server.url, key: ADMIN_KEY, sandbox: 'prod' });
    const runs: FileRun[] = [];
    for (const file of files) runs.push(await ingestFile(server, api, file));
    return runs;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Where the batch's time went, from its own timestamps: upload (until created), waiting for a worker, processing. */
function phases(run: FileRun): string {
  const at = (iso: unknown) => (typeof iso === 'string' ? Date.parse(iso) : NaN);
  const times = run.batch as Batch & { createdAt?: string; startedAt?: string; completedAt?: string };
  const created = at(times.createdAt);
  const started = at(times.startedAt);
  const completed = at(times.completedAt);
  if ([created, started, completed].some(Number.isNaN)) return '';
  const processing = (completed - started) / 1000;
  return ` [batch: queued ${((started - created) / 1000).toFixed(2)} s, processed in ${processing.toFixed(2)} s = ${formatInteger(run.rows / processing)} rows/s]`;
}

function describe(run: FileRun): string {
  return (
    `${formatInteger(run.rows)} rows (${formatMiB(run.bytes)}) in ${run.seconds.toFixed(2)} s: ${formatInteger(run.rowsPerSecond)} rows/s${phases(run)} ` +
    `(last profile readable after ${run.profileSeconds.toFixed(2)} s); ` +
    `RSS idle ${formatMiB(run.idleRssBytes)}, peak ${formatMiB(run.peakRssBytes)}; CPU: server ${run.serverCores.toFixed(2)}, other processes ${run.otherCores.toFixed(2)} cores` +
    (run.threads.length > 0 ? `; server threads until the batch succeeded (ms/s): ${describeThreads(run.threads)}` : '')
  );
}

async function batchApiAvailable(): Promise<boolean> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-probe-'));
  const server = await startMeridian(dataDir);
  try {
    return await hasBatchApi(server);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Rows in the full file: fixed by BENCH_CSV_ROWS, else what the server ingests in FULL_FILE_SECONDS. */
async function fullFileRows(dir: string): Promise<number> {
  const fixed = Number(process.env.BENCH_CSV_ROWS);
  if (Number.isInteger(fixed) && fixed > 0) return fixed;
  const path = join(dir, 'profiles-calibration.csv');
  const { bytes } = await writeProfileCsv(path, CALIBRATION_ROWS);
  const [calibration] = await ingestFiles([{ path, rows: CALIBRATION_ROWS, bytes, first: 0 }]);
  // Sized on the slower of the two rates, so the wait for profiles stays within budget too.
  const rate = calibration.rows / calibration.profileSeconds;
  const rows = Math.round(rate * FULL_FILE_SECONDS * benchScale());
  const sized = Math.min(MAX_FULL_ROWS, Math.max(MIN_FULL_ROWS, Math.round(rows / 10_000) * 10_000));
  say(NAME, `calibration: ${formatInteger(rate)} rows/s on ${formatInteger(CALIBRATION_ROWS)} rows (until the last profile) → full file of ${formatInteger(sized)} rows`);
  return sized;
}

export async function runIngestCsv(): Promise<BenchmarkReport> {
  if (!(await batchApiAvailable())) {
    say(NAME, 'skipped: batch API not available (404): the server does not serve POST /api/v1/datasets/{id}/batches');
    return { benchmark: NAME, figures: [], skipped: 'batch API not available (404)' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-files-'));
  try {
    const fullRows = await fullFileRows(dir);
    const quarterRows = Math.round(fullRows / 4);
    const fullPath = join(dir, 'profiles-full.csv');
    const quarterPath = join(dir, 'profiles-quarter.csv');
    const againPath = join(dir, 'profiles-again.csv');
    const full = await writeProfileCsv(fullPath, fullRows);
    // Other people in each file: every row makes a new profile, as in the full file alone.
    const again = await writeProfileCsv(againPath, fullRows, fullRows);
    const quarter = await writeProfileCsv(quarterPath, quarterRows, 2 * fullRows);
    say(NAME, `files: ${formatInteger(fullRows)} rows (${formatMiB(full.bytes)}), twice, and ${formatInteger(quarterRows)} rows (${formatMiB(quarter.bytes)}), profile schema`);

    const baseline = await parseOnly(fullPath);
    const baselineRate = baseline.rows / baseline.seconds;
    say(NAME, `baseline: csv-parse alone reads ${formatInteger(baseline.rows)} rows in ${baseline.seconds.toFixed(2)} s: ${formatInteger(baselineRate)} rows/s`);

    const [small] = await ingestFiles([{ path: quarterPath, rows: quarterRows, bytes: quarter.bytes, first: 2 * fullRows }]);
    say(NAME, `quarter file (a fresh server's first batch): ${describe(small)}`);
    const [large, warm] = await ingestFiles([
      { path: fullPath, rows: fullRows, bytes: full.bytes, first: 0 },
      { path: againPath, rows: fullRows, bytes: again.bytes, first: fullRows },
    ]);
    say(NAME, `full file (a fresh server's first batch):    ${describe(large)}`);
    say(NAME, `full file again (the server's second batch): ${describe(warm)}`);

    const memoryGrowth = large.peakRssBytes / small.peakRssBytes;
    const figures: Figure[] = [
      { measure: 'CSV rows/s (full file, second batch)', value: formatInteger(warm.rowsPerSecond), target: `≥ ${formatInteger(TARGET_ROWS_PER_SECOND)}`, met: warm.rowsPerSecond >= TARGET_ROWS_PER_SECOND },
      { measure: 'CSV rows/s until the last profile is readable', value: formatInteger(warm.rows / warm.profileSeconds) },
      { measure: 'CSV rows per server CPU-second (full file, second batch)', value: formatInteger(warm.rows / warm.serverCpuSeconds) },
      { measure: 'CSV rows/s (full file, first batch)', value: formatInteger(large.rowsPerSecond) },
      { measure: 'CSV rows/s (quarter file, first batch)', value: formatInteger(small.rowsPerSecond) },
      { measure: 'baseline csv-parse rows/s', value: formatInteger(baselineRate) },
      { measure: 'ratio Meridian/csv-parse', value: formatRatio(warm.rowsPerSecond / baselineRate) },
      { measure: `peak RSS, ${formatMiB(quarter.bytes)} file`, value: formatMiB(small.peakRssBytes) },
      { measure: `peak RSS, ${formatMiB(full.bytes)} file`, value: formatMiB(large.peakRssBytes) },
      { measure: 'peak RSS full/quarter', value: formatRatio(memoryGrowth), target: `≤ ${formatRatio(FLAT_MEMORY_TOLERANCE)} (flat)`, met: memoryGrowth <= FLAT_MEMORY_TOLERANCE },
    ];
    const busiest = Math.max(small.otherCores, large.otherCores, warm.otherCores);
    return {
      benchmark: NAME,
      figures,
      notes: [
        'the quarter file and the full file each go to a fresh server child process; the full file\'s server then loads a second file as large (other people): the target judges that second batch, as on a server that has run before (its threads\' code compiled), and a first batch also pays the compilation; time = upload start to batch finished, polled every 50 ms',
        'peak RSS = each fresh server\'s getrusage maxrss after its first file (start-up included): the full file\'s against the quarter file\'s shows whether memory grows with the file',
        'the batch may finish before identities and profiles are projected; "until the last profile is readable" polls GET /api/v1/profiles for the last row',
        `file sizes come from a calibration run (up to ${formatInteger(MAX_FULL_ROWS)} rows, about ${FULL_FILE_SECONDS} s for the full file); rows/s and the RSS ratio compare across runs, the sizes may not`,
        ...(busiest > 0.15 ? [`WARNING: other processes used up to ${busiest.toFixed(2)} cores during the runs; these figures understate the server`] : []),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
