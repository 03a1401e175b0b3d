/**
 * Streaming-ingest benchmark. The real Meridian server (child process, temp data dir) takes
 * (a) arrays of 100 ~1 KB XDM experience events, for events/s and per-request latency, and
 * (b) one event per request, compared with a bare Fastify server (also a child process) that
 * parses the same body and answers the same-size JSON: the ratio of their request rates.
 * The load generator runs in this process, so server and client each have a core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../packages/server/src/cli/api-client.ts';
import type { Dataset } from '../packages/server/src/catalog/model.ts';
import { EventBodies } from './fixtures/experience-events.ts';
import { generateLoad, type LoadResult } from './lib/load-generator.ts';
import { describeEventLoop, describeGc, describeThreads, startServerProcess, type EventLoopTime, type GcTime, type ServerProcess, type ThreadTime } from './lib/server-process.ts';
import { machineCores, readMachineBusy, type MachineBusy } from './lib/machine-load.ts';
import { benchScale, say, type BenchmarkReport, type Figure } from './lib/report.ts';
import { formatInteger, formatMs, formatRatio } from './lib/stats.ts';

const NAME = 'ingest-stream';
const ADMIN_KEY = 'mrd_bench_admin_key_0123456789abcdef';
const EVENTS_PER_REQUEST = 100;
const BATCHED_CONNECTIONS = 8;
const SINGLE_CONNECTIONS = 32;
const TARGET_EVENTS_PER_SECOND = 30_000;
const TARGET_RATIO = 0.5;
/** Other processes using more CPU than this during a run make its figures unreliable. */
const BUSY_MACHINE_CORES = 0.15;

interface Timing {
  warmupMs: number;
  durationMs: number;
}

function timing(seconds: number): Timing {
  const scale = benchScale();
  return { warmupMs: Math.round(2000 * scale), durationMs: Math.round(seconds * 1000 * scale) };
}

function describe({ result, serverCores, otherCores, eventLoop, threads, gc }: Measured): string {
  const failures = result.errors ? `, ${result.errors} FAILED (${JSON.stringify(result.outcomes)})` : '';
  const busiest = describeThreads(threads);
  const loop = (eventLoop ? `; server ${describeEventLoop(eventLoop)}` : '') + (busiest ? `; server threads (ms/s): ${busiest}` : '') + (gc ? `; ${describeGc(gc)}` : '');
  return (
    `${formatInteger(result.requestsPerSecond)} req/s, p50 ${formatMs(result.latency.p50Ms)}, p99 ${formatMs(result.latency.p99Ms)}; ` +
    `CPU: server ${serverCores.toFixed(2)}, client ${result.clientCores.toFixed(2)}, other processes ${otherCores.toFixed(2)} cores${loop}${failures}`
  );
}

async function createDataset(api: ApiClient, name: string): Promise<Dataset> {
  return api.request<Dataset>('POST', '/api/v1/datasets', { name, schemaId: 'experience-event' });
}

interface Measured {
  result: LoadResult;
  serverCores: number;
  /** CPU the rest of the machine used meanwhile, in cores: figures are unreliable when high. */
  otherCores: number;
  /** The server's main thread (Linux only). */
  eventLoop?: EventLoopTime;
  /** CPU of the server's threads by name (Linux only; empty elsewhere). */
  threads: ThreadTime[];
  /** The event loop's garbage-collection pauses. */
  gc?: GcTime;
}

async function measureIngest(server: ServerProcess, datasetId: string, nextBody: () => Buffer, connections: number, seconds: number): Promise<Measured> {
  const meter = server.cpuMeter();
  let machineBefore: MachineBusy | undefined;
  let machine = Number.NaN;
  const result = await generateLoad({
    url: `${server.url}/api/v1/ingest/${datasetId}`,
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    nextBody,
    connections,
    ...timing(seconds),
    onMeasuredPhase: async (edge) => {
      if (edge === 'start') machineBefore = readMachineBusy();
      else machine = machineCores(machineBefore, readMachineBusy());
      await meter.onMeasuredPhase(edge);
    },
  });
  const serverCores = meter.cores();
  const eventLoop = meter.eventLoop();
  const gc = meter.gc();
  return {
    result,
    serverCores,
    otherCores: Math.max(0, machine - serverCores - result.clientCores),
    threads: meter.threads(),
    ...(eventLoop ? { eventLoop } : {}),
    ...(gc ? { gc } : {}),
  };
}

async function measureMeridian(bodies: EventBodies) {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-stream-'));
  const server = await startServerProcess('meridian-server.ts', {
    MERIDIAN_DATA_DIR: dataDir,
    MERIDIAN_PORT: '0',
    MERIDIAN_HOST: '127.0.0.1',
    MERIDIAN_LOG_LEVEL: 'silent',
    MERIDIAN_ADMIN_KEY: ADMIN_KEY,
  });
  try {
    const api = new ApiClient({ url: server.url, key: ADMIN_KEY, sandbox: 'prod' });
    const batchedDataset = await createDataset(api, 'bench_batched');
    say(NAME, `(a) batched: ${EVENTS_PER_REQUEST} events/request, ${BATCHED_CONNECTIONS} connections`);
    const batched = await measureIngest(server, batchedDataset.id, () => bodies.batch(EVENTS_PER_REQUEST), BATCHED_CONNECTIONS, 10);
    const eventsPerSecond = batched.result.requestsPerSecond * EVENTS_PER_REQUEST;
    say(NAME, `    ${formatInteger(eventsPerSecond)} events/s; ${describe(batched)}`);
    const stored = await api.get<{ recordCount: number }>(`/api/v1/datasets/${batchedDataset.id}`);
    say(NAME, `    ${formatInteger(stored.recordCount)} events stored (warm-up included)`);
    // The profile projector and the lake follow the log and step back while ingestion saturates
    // the server: the backlog they work off now belongs to phase (a), not to the next one.
    const drainMs = await server.quiet();
    say(NAME, `    followers (profile projection, lake) worked off the phase's backlog ${formatMs(drainMs)} after it ended`);

    const singleDataset = await createDataset(api, 'bench_single');
    say(NAME, `(b) single records, ${SINGLE_CONNECTIONS} connections: Meridian`);
    const single = await measureIngest(server, singleDataset.id, () => bodies.single(), SINGLE_CONNECTIONS, 8);
    say(NAME, `    ${describe(single)}`);
    return { batched, eventsPerSecond, single };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureBare(bodies: EventBodies) {
  const server = await startServerProcess('bare-server.ts');
  try {
    say(NAME, `(b) single records, ${SINGLE_CONNECTIONS} connections: bare Fastify baseline`);
    const bare = await measureIngest(server, 'bench_single', () => bodies.single(), SINGLE_CONNECTIONS, 8);
    say(NAME, `    ${describe(bare)}`);
    return bare;
  } finally {
    await server.stop();
  }
}

function latencyFigures(label: string, result: LoadResult): Figure[] {
  return [
    { measure: `${label} p50`, value: formatMs(result.latency.p50Ms) },
    { measure: `${label} p99`, value: formatMs(result.latency.p99Ms) },
  ];
}

export async function runIngestStream(): Promise<BenchmarkReport> {
  const randomIds = process.env.BENCH_EVENT_IDS === 'uuid';
  const bodies = new EventBodies(`run${Date.now().toString(36)}`, 100, randomIds);
  say(NAME, `events of ${formatInteger(bodies.averageEventBytes())} bytes on average (experience-event schema); _id: ${randomIds ? 'random UUIDs' : 'increasing'}, timestamp: when sent`);
  const meridian = await measureMeridian(bodies);
  const bare = await measureBare(bodies);
  const ratio = meridian.single.result.requestsPerSecond / bare.result.requestsPerSecond;
  const runs = [meridian.batched, meridian.single, bare];
  const failed = runs.reduce((sum, run) => sum + run.result.errors, 0);
  const busiest = Math.max(...runs.map((run) => run.otherCores));
  say(NAME, `(b) ratio Meridian / bare: ${formatRatio(ratio)}`);
  return {
    benchmark: NAME,
    figures: [
      { measure: 'batched events/s', value: formatInteger(meridian.eventsPerSecond), target: `≥ ${formatInteger(TARGET_EVENTS_PER_SECOND)}`, met: meridian.eventsPerSecond >= TARGET_EVENTS_PER_SECOND },
      { measure: 'batched events per server CPU-second', value: formatInteger(meridian.eventsPerSecond / meridian.batched.serverCores) },
      ...latencyFigures(`batched request (${EVENTS_PER_REQUEST} events)`, meridian.batched.result),
      { measure: 'single-record req/s: Meridian', value: formatInteger(meridian.single.result.requestsPerSecond) },
      { measure: 'single-record req/s: bare Fastify', value: formatInteger(bare.result.requestsPerSecond) },
      { measure: 'single-record ratio Meridian/bare', value: formatRatio(ratio), target: `≥ ${formatRatio(TARGET_RATIO)}`, met: ratio >= TARGET_RATIO },
      ...latencyFigures('single record: Meridian', meridian.single.result),
      ...latencyFigures('single record: bare', bare.result),
      ...(failed > 0 ? [{ measure: 'failed requests', value: formatInteger(failed), target: '0', met: false }] : []),
    ],
    notes: [
      'servers run in child processes (one core), the closed-loop node:http keep-alive client in the bench process (the other core); loopback',
      `batched: ${BATCHED_CONNECTIONS} connections, single: ${SINGLE_CONNECTIONS} connections for both servers; 2 s warm-up, then a fixed duration`,
      'events per server CPU-second = events/s ÷ server CPU (cores): the figure least disturbed by other load on the machine',
      `client CPU during the bare run: ${bare.result.clientCores.toFixed(2)} cores (near 1.0 means the client, not the bare server, set the pace)`,
      ...(busiest > BUSY_MACHINE_CORES ? [`WARNING: other processes used up to ${busiest.toFixed(2)} cores during the runs; these figures understate the server`] : []),
    ],
  };
}
