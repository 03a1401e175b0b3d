/**
 * `meridian ingest <file> --dataset <id|name>`: uploads a CSV, JSON-lines or Parquet file as a
 * batch, shows its progress, prints the final counts and how to fetch the rejected rows.
 * Exit status: 0 every row accepted, 2 some rows rejected, 1 the batch (or the upload) failed.
 *
 * @example
 *   meridian ingest customers.csv --dataset crm_profiles --mapping mapping.json
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { Dataset } from '../catalog/model.ts';
import { ApiClient, connectionFrom, withConnectionOptions, type ConnectionOptions } from './api-client.ts';
import { BATCH_FORMATS, batchFormatOf, fileSize, uploadBatchFile, waitForBatch, type Batch } from './batch-upload.ts';
import { CliError } from './cli-error.ts';
import { formatBytes, formatCount, formatDuration } from './format.ts';

/** Exit status when the batch finished but rejected some rows. */
const EXIT_PARTIAL = 2;
/** Below this many rows a rate says nothing. */
const RATE_MIN_ROWS = 1000;
/** The bar counts in thousandths of the work. */
const BAR_TOTAL = 1000;

interface IngestOptions extends ConnectionOptions {
  dataset: string;
  format?: string;
  mapping?: string;
  ignoreUnknownColumns?: boolean;
}

function readMapping(path: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the mapping ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`the mapping ${path} must hold a JSON object: source column → schema dot path, or null to ignore the column`);
  }
  return JSON.stringify(parsed);
}

function rowCounts(batch: Batch): string {
  return `${formatCount(batch.rowsRead)} read, ${formatCount(batch.rowsAccepted)} accepted, ${formatCount(batch.rowsRejected)} rejected`;
}

function summary(api: ApiClient, batch: Batch, seconds: number): string {
  const rate = batch.rowsRead >= RATE_MIN_ROWS && seconds > 0 ? ` (${formatCount(batch.rowsRead / seconds)} rows/s)` : '';
  const lines = [
    `Batch ${batch.id}: ${batch.status} in ${formatDuration(seconds)}${rate}`,
    `  rows read      ${formatCount(batch.rowsRead).padStart(12)}`,
    `  accepted       ${formatCount(batch.rowsAccepted).padStart(12)}`,
    `  duplicates     ${formatCount(batch.rowsDuplicate).padStart(12)}  (same _id already in the dataset)`,
    `  rejected       ${formatCount(batch.rowsRejected).padStart(12)}`,
  ];
  if (batch.error) lines.push(`  error: ${batch.error}`);
  if (batch.rowsRejected > 0) {
    const { url, sandbox } = api.connection;
    lines.push(
      '',
      'Rejected rows, with the reason for each:',
      `  curl -H "Authorization: Bearer $MERIDIAN_API_KEY" -H "x-sandbox-name: ${sandbox}" \\`,
      `    ${url}/api/v1/batches/${batch.id}/rejections.csv -o rejections.csv`,
    );
  }
  return lines.join('\n');
}

async function ingestFile(path: string, options: IngestOptions): Promise<void> {
  const format = batchFormatOf(path, options.format);
  const size = fileSize(path);
  const query: Record<string, string> = {};
  if (options.mapping) query.mapping = readMapping(options.mapping);
  if (options.ignoreUnknownColumns) query.ignoreUnknownColumns = 'true';
  const api = new ApiClient(connectionFrom(options));
  api.requireKey();
  const dataset = await api.get<Dataset>(`/api/v1/datasets/${encodeURIComponent(options.dataset)}`);

  const bar = new SingleBar({ format: '{phase} |{bar}| {percentage}% | {detail}', hideCursor: true }, Presets.shades_classic);
  bar.start(BAR_TOTAL, 0, { phase: 'uploading ', detail: `0 B / ${formatBytes(size)}` });
  const started = performance.now();
  let batch: Batch;
  try {
    const accepted = await uploadBatchFile(api, { datasetId: dataset.id, path, format, query }, (sent) =>
      bar.update(size > 0 ? Math.floor((sent / size) * BAR_TOTAL) : BAR_TOTAL, { detail: `${formatBytes(sent)} / ${formatBytes(size)}` }),
    );
    bar.update(0, { phase: 'processing', detail: rowCounts(accepted) });
    batch = await waitForBatch(api, accepted.id, (current) =>
      bar.update(Math.floor(Math.min(1, Math.max(0, current.progress)) * BAR_TOTAL), { detail: rowCounts(current) }),
    );
  } catch (error) {
    if (error instanceof CliError && error.problemCode === 'INVALID_MAPPING') {
      throw new CliError(`${error.message}\nMap columns to schema fields with --mapping <file.json>, or skip unknown ones with --ignore-unknown-columns.`);
    }
    throw error;
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${basename(path)} → dataset ${dataset.name} (${dataset.id})\n${summary(api, batch, seconds)}\n`);
  if (batch.status === 'failed') throw new CliError(`batch ${batch.id} failed${batch.error ? `: ${batch.error}` : ''}`);
  if (batch.status === 'partial') process.exitCode = EXIT_PARTIAL;
}

export function ingestCommand(): Command {
  return withConnectionOptions(new Command('ingest'))
    .description('upload a CSV, JSON-lines or Parquet file into a dataset as a batch (exit 0: all rows accepted, 2: some rejected, 1: failed)')
    .argument('<file>', 'the file to upload')
    .requiredOption('--dataset <id|name>', 'the dataset to load into')
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(BATCH_FORMATS))
    .option('--mapping <file>', 'JSON file: {"source column": "schema.dot.path" | null}; by default a column\'s name is its dot path')
    .option('--ignore-unknown-columns', 'skip columns that are neither mapped nor schema fields instead of refusing the file')
    .action((path: string, options: IngestOptions) => ingestFile(path, options));
}
