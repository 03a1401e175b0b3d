/**
 * What a benchmark hands back and how it is printed: figures (a measure, its value, and the
 * target it is held to, if any) collected into the final summary table of `npm run bench`.
 *
 * @example
 *   printSummary([{ benchmark: 'ingest-stream', figures: [{ measure: 'events/s', value: '31,200', target: '≥ 30,000', met: true }] }]);
 */

export interface Figure {
  measure: string;
  value: string;
  /** The target as text (`≥ 30,000`), when the design sets one. */
  target?: string;
  met?: boolean;
}

export interface BenchmarkReport {
  benchmark: string;
  figures: Figure[];
  /** Why the benchmark did not run, when it did not. */
  skipped?: string;
  /** How it was measured, printed under the table. */
  notes?: string[];
}

export function verdict(figure: Figure): string {
  if (figure.met === undefined) return '';
  return figure.met ? 'met' : 'MISSED';
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

export function printSummary(reports: readonly BenchmarkReport[]): void {
  const rows = [['benchmark', 'measure', 'value', 'target', 'verdict']];
  for (const report of reports) {
    if (report.skipped) rows.push([report.benchmark, 'skipped', report.skipped, '', '']);
    for (const figure of report.figures) rows.push([report.benchmark, figure.measure, figure.value, figure.target ?? '', verdict(figure)]);
  }
  const line = '─'.repeat(100);
  process.stdout.write(`\n${line}\nSummary\n${line}\n${table(rows)}\n`);
  for (const report of reports) for (const note of report.notes ?? []) process.stdout.write(`  [${report.benchmark}] ${note}\n`);
}

/** A progress line while a benchmark runs. */
export function say(benchmark: string, text: string): void {
  process.stdout.write(`[${benchmark}] ${text}\n`);
}

/** Scales durations and sizes (BENCH_SCALE=0.2 for a quick smoke run); 1 by default. */
export function benchScale(): number {
  const raw = Number(process.env.BENCH_SCALE ?? '1');
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}
