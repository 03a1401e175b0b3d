/**
 * `npm run bench [-- name...] [-- --check]`: runs the benchmarks (all, or those whose name
 * contains one of the arguments, e.g. `npm run bench -- ingest-csv`) one after another and prints
 * a summary table. Exit status 1 when a benchmark failed to run, or (with --check, for CI) when
 * a figure missed its target.
 */
import { runIngestStream } from './ingest-stream.ts';
import { runIngestCsv } from './ingest-csv.ts';
import { runPqlEvaluate } from './pql-evaluate.ts';
import { runPqlBatch } from './pql-batch.ts';
import { runMembershipLatency } from './membership-latency.ts';
import { runStreamingPass } from './streaming-pass.ts';
import { runActivation } from './activation.ts';
import { runProfile } from './profile.ts';
import { runDecide } from './decide.ts';
import { runEdgeDecision } from './edge-decision.ts';
import { runSdkSize } from './sdk-size.ts';
import { printSummary, type BenchmarkReport } from './lib/report.ts';

const BENCHMARKS: { name: string; run: () => Promise<BenchmarkReport> }[] = [
  { name: 'ingest-stream', run: runIngestStream },
  { name: 'ingest-csv', run: runIngestCsv },
  { name: 'profile', run: runProfile },
  { name: 'pql-evaluate', run: runPqlEvaluate },
  { name: 'decide', run: runDecide },
  { name: 'edge-decision', run: runEdgeDecision },
  { name: 'sdk-size', run: runSdkSize },
  { name: 'pql-batch', run: runPqlBatch },
  { name: 'membership-latency', run: runMembershipLatency },
  { name: 'streaming-pass', run: runStreamingPass },
  { name: 'activation', run: runActivation },
];

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const checkTargets = process.argv.includes('--check');
const selected = wanted.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => wanted.some((w) => b.name.includes(w)));
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

const started = performance.now();
const reports: BenchmarkReport[] = [];
let broken = false;
for (const benchmark of selected) {
  try {
    reports.push(await benchmark.run());
  } catch (error) {
    broken = true;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`[${benchmark.name}] failed: ${message}\n`);
    reports.push({ benchmark: benchmark.name, figures: [], skipped: `failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}
printSummary(reports);
process.stdout.write(`\n${selected.length} benchmark(s) in ${((performance.now() - started) / 1000).toFixed(0)} s on ${process.version}\n`);
const missed = reports.some((r) => r.figures.some((f) => f.met === false));
process.exitCode = broken || (checkTargets && missed) ? 1 : 0;
