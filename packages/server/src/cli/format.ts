/**
 * Plain-text output for the CLI: aligned tables, counts with thousands separators, durations and
 * byte sizes an operator reads at a glance.
 *
 * @example
 *   formatTable(['id', 'role'], [['key_1', 'admin']]); // "id     role\nkey_1  admin"
 */

/** Columns padded to their widest cell; columns whose header starts with `#` are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const rightAligned = header.map((h) => h.startsWith('#'));
  const titles = header.map((h) => h.replace(/^#/, ''));
  const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(titles), ...rows.map(line)].join('\n');
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `2026-01-31T09:30:12.345Z` → `2026-01-31 09:30`. */
export function formatTimestamp(iso: string | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '-';
}
