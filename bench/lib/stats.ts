/**
 * Latency statistics for benchmarks: percentiles by nearest rank over every sample (no
 * histogram buckets, so p99 is exact), and number formatting for the printed tables.
 *
 * @example
 *   summarizeLatencies([1.2, 0.8, 3.1]).p50; // 1.2
 */

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function nearestRank(sorted: Float64Array, quantile: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(quantile * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  let total = 0;
  for (const sample of sorted) total += sample;
  return {
    count: sorted.length,
    meanMs: sorted.length ? total / sorted.length : Number.NaN,
    p50Ms: nearestRank(sorted, 0.5),
    p90Ms: nearestRank(sorted, 0.9),
    p99Ms: nearestRank(sorted, 0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/** 1234567.8 → "1,234,568". */
export function formatInteger(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** Milliseconds with precision that suits their size: 0.412, 3.27, 41.6, 1204. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function formatMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : '-';
}

export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '-';
}
