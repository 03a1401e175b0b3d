/**
 * Runs a benchmark's server in its own Node process (with Meridian's TypeScript loader), so the server and the
 * load generator each get a core instead of sharing one event loop. Reports the child's memory
 * and CPU use; with BENCH_CPU_PROF=<dir> the child writes a V8 CPU profile there when it stops.
 *
 * @example
 *   const server = await startServerProcess('meridian-server.ts', { MERIDIAN_DATA_DIR: dir });
 *   const usage = await server.usage();
 *   await server.stop();
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { formatInteger } from './stats.ts';
import { SERVER_NODE_FLAGS } from '../../bin/node-flags.mjs';
import { fileURLToPath } from 'node:url';
import { LONG_GC_PAUSE_MS, type ChildMessage, type GcTotals, type ParentMessage, type ProcessUsage } from '../servers/protocol.ts';

export interface ServerProcess {
  url: string;
  pid: number;
  usage(): Promise<ProcessUsage>;
  /** Sends `message` and waits for the child's answer of type `answer`. */
  ask<T extends ChildMessage['type']>(message: ParentMessage, answer: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>>;
  /** Samples the server's CPU time at the edges of a load generator's measured phase. */
  cpuMeter(): CpuMeter;
  /**
   * Waits until the server has gone quiet (below 0.05 cores over 250 ms: its followers of the
   * record log have worked off what the last phase left them) and says how long that took.
   */
  quiet(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface CpuMeter {
  onMeasuredPhase(edge: 'start' | 'end'): Promise<void>;
  /** CPU used between the two edges, in cores (1 = one core busy the whole time). */
  cores(): number;
  /**
   * The server's main thread (its event loop) between the two edges, in ms per second: time it
   * ran, and time it was ready to run but waited for a core (Linux `schedstat`; undefined
   * elsewhere). A large wait means the machine's cores, not the server's code, set the latency.
   */
  eventLoop(): EventLoopTime | undefined;
  /**
   * CPU of the server's threads between the two edges, ms per second, by thread name (the event
   * loop as `event loop`; Meridian's worker threads as `mrd-…`; V8's and libuv's helpers share
   * their names and are summed), busiest first. Empty where Linux `schedstat` is missing.
   */
  threads(): ThreadTime[];
  /** The event loop's garbage-collection pauses between the two edges. */
  gc(): GcTime | undefined;
}

/**
 * A server's main-thread garbage collection over a phase: pauses per second by kind, their
 * average length, and how many took at least `LONG_GC_PAUSE_MS` (each stops every request in flight).
 */
export interface GcTime {
  pausedMsPerS: number;
  scavengesPerS: number;
  scavengeAvgMs: number;
  majorPerS: number;
  majorAvgMs: number;
  longPausesPerS: number;
}

/** The GC of one phase from running totals at its two edges. */
function gcBetween(before: GcTotals, after: GcTotals, seconds: number): GcTime {
  const minor = after.minorCount - before.minorCount;
  const major = after.majorCount - before.majorCount;
  const minorMs = after.minorMs - before.minorMs;
  const majorMs = after.majorMs - before.majorMs;
  return {
    pausedMsPerS: (minorMs + majorMs) / seconds,
    scavengesPerS: minor / seconds,
    scavengeAvgMs: minor > 0 ? minorMs / minor : 0,
    majorPerS: major / seconds,
    majorAvgMs: major > 0 ? majorMs / major : 0,
    longPausesPerS: (after.longPauses - before.longPauses) / seconds,
  };
}

/** `GC paused the event loop 61 ms/s: 14.2 scavenges/s (avg 3.9 ms), 0.3 major/s (avg 21.0 ms), 2.1 pauses ≥ 5 ms/s`. */
export function describeGc(gc: GcTime | undefined): string {
  if (!gc) return '';
  const full = gc.majorPerS > 0 ? `, ${gc.majorPerS.toFixed(1)} major/s (avg ${gc.majorAvgMs.toFixed(1)} ms)` : '';
  return (
    `GC paused the event loop ${formatInteger(gc.pausedMsPerS)} ms/s: ${gc.scavengesPerS.toFixed(1)} scavenges/s (avg ${gc.scavengeAvgMs.toFixed(1)} ms)` +
    `${full}, ${gc.longPausesPerS.toFixed(1)} pauses ≥ ${LONG_GC_PAUSE_MS} ms/s`
  );
}

/** One named group of a server's threads over a phase: ms of CPU per second. */
export interface ThreadTime {
  name: string;
  runMsPerS: number;
}

/** `mrd-projector 310, node 220, …` (ms/s), or '' where it was not measured. */
export function describeThreads(threads: readonly ThreadTime[], atLeastMsPerS = 10): string {
  return threads
    .filter((t) => t.runMsPerS >= atLeastMsPerS)
    .map((t) => `${t.name} ${formatInteger(t.runMsPerS)}`)
    .join(', ');
}

/** A server's main thread over a phase, in ms per second: ran, and was ready but waited for a core. */
export interface EventLoopTime {
  runMsPerS: number;
  waitMsPerS: number;
}

/** `event loop ran 799 ms/s, waited for a core 146 ms/s`, or '' where it was not measured. */
export function describeEventLoop(loop: EventLoopTime | undefined): string {
  return loop ? `event loop ran ${formatInteger(loop.runMsPerS)} ms/s, waited for a core ${formatInteger(loop.waitMsPerS)} ms/s` : '';
}

/** Run and wait-for-CPU nanoseconds of one thread (`/proc/<pid>/task/<tid>/schedstat`), or undefined where there is none. */
function threadSchedstat(pid: number, tid: number): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run, waitNs: wait } : undefined;
  } catch {
    return undefined;
  }
}

/** Run and wait nanoseconds of each thread of a process by thread id, with the thread's name. */
type ThreadRuns = Map<number, { name: string; runNs: number; waitNs: number }>;

/** Every thread of a process now (the main thread, whose id is the process id, named `event loop`). */
function threadRuns(pid: number): ThreadRuns {
  const runs: ThreadRuns = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return runs;
  }
  for (const entry of tids) {
    const tid = Number(entry);
    try {
      const name = tid === pid ? 'event loop' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = threadSchedstat(pid, tid);
      if (stat) runs.set(tid, { name, ...stat });
    } catch {
      // the thread ended between listing and reading
    }
  }
  return runs;
}

/**
 * Starts measuring the CPU of a process's threads (this process by default); the function it
 * returns gives each named group's ms/s since then (empty where Linux `schedstat` is missing).
 *
 * @example
 *   const since = measureThreads();
 *   await work();
 *   describeThreads(since()); // 'event loop 612, mrd-projector 171, …'
 */
export function measureThreads(pid = process.pid): () => ThreadTime[] {
  const before = threadRuns(pid);
  const started = performance.now();
  return () => threadTimes(before, threadRuns(pid), (performance.now() - started) / 1000);
}

/** Per-name CPU between two `threadRuns` samples (threads born meanwhile count from zero). */
function threadTimes(before: ThreadRuns, after: ThreadRuns, seconds: number): ThreadTime[] {
  const byName = new Map<string, number>();
  for (const [tid, end] of after) {
    const ran = end.runNs - (before.get(tid)?.runNs ?? 0);
    byName.set(end.name, (byName.get(end.name) ?? 0) + ran);
  }
  return [...byName]
    .map(([name, ns]) => ({ name, runMsPerS: ns / 1e6 / seconds }))
    .sort((a, b) => b.runMsPerS - a.runMsPerS);
}

const STARTUP_TIMEOUT_MS = 30_000;
const QUIET_WINDOW_MS = 250;
const QUIET_CORES = 0.05;

/** BENCH_CPU_PROF=<dir> profiles the server; BENCH_NODE_FLAGS adds Node flags (e.g. `--trace-gc`). */
function profilingArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  return [...(dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : []), ...extra];
}

function nextMessage<T extends ChildMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the server process sent no "${type}" message in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: ChildMessage) => {
      if (message.type === type) finish(undefined, message as Extract<ChildMessage, { type: T }>);
      else if (message.type === 'failed') finish(new Error(`the server process failed: ${message.message}`));
    };
    const onExit = (code: number | null) => finish(new Error(`the server process exited (${code}) before sending "${type}"`));
    function finish(error?: Error, message?: Extract<ChildMessage, { type: T }>) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Starts `bench/servers/<script>` with the given extra environment and waits until it listens. */
export async function startServerProcess(script: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const entry = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
  const child = fork(entry, [], {
    // As `npm start` runs the server: its Node flags (bin/node-flags.mjs), baselines included.
    execArgv: [...SERVER_NODE_FLAGS, '--import', import.meta.resolve('meridian/loader'), ...profilingArgs()],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await nextMessage(child, 'ready', STARTUP_TIMEOUT_MS);
  const ask: ServerProcess['ask'] = (message, answer, timeoutMs = 30_000) => {
    const reply = nextMessage(child, answer, timeoutMs);
    child.send(message);
    return reply;
  };
  const usage = async (): Promise<ProcessUsage> => {
    const { type: _type, ...figures } = await ask({ type: 'usage' }, 'usage', 5000);
    return figures;
  };
  return {
    url: ready.url,
    pid: child.pid ?? -1,
    usage,
    ask,
    cpuMeter() {
      const pid = child.pid ?? -1;
      let start: { cpuMicros: number; at: number; threads: ThreadRuns; gc: GcTotals } | undefined;
      let cores = Number.NaN;
      let eventLoop: EventLoopTime | undefined;
      let threads: ThreadTime[] = [];
      let gc: GcTime | undefined;
      return {
        async onMeasuredPhase(edge) {
          const sample = await usage();
          const cpuMicros = sample.cpuUserMicros + sample.cpuSystemMicros;
          const runs = threadRuns(pid);
          if (edge === 'start') start = { cpuMicros, at: performance.now(), threads: runs, gc: sample.gc };
          else if (start) {
            const seconds = (performance.now() - start.at) / 1000;
            cores = (cpuMicros - start.cpuMicros) / 1000 / (seconds * 1000);
            const [loop, loopBefore] = [runs.get(pid), start.threads.get(pid)];
            if (loop && loopBefore) eventLoop = { runMsPerS: (loop.runNs - loopBefore.runNs) / 1e6 / seconds, waitMsPerS: (loop.waitNs - loopBefore.waitNs) / 1e6 / seconds };
            threads = threadTimes(start.threads, runs, seconds);
            gc = gcBetween(start.gc, sample.gc, seconds);
          }
        },
        cores: () => cores,
        eventLoop: () => eventLoop,
        threads: () => threads,
        gc: () => gc,
      };
    },
    async quiet(timeoutMs = 120_000) {
      const started = performance.now();
      let before = await usage();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
        const now = await usage();
        const cores = (now.cpuUserMicros + now.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) / 1000 / QUIET_WINDOW_MS;
        if (cores < QUIET_CORES || performance.now() - started > timeoutMs) return performance.now() - started;
        before = now;
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
