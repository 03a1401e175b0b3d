/**
 * Maps a stored Campaign log file (CSV or JSON lines, Campaign column names) to two files: the
 * experience events as JSON lines, one line per data row (so a rejection's row number is the
 * Campaign file's), and the profile records the rows imply. Runs in a worker thread
 * (`map-log-worker.ts`), so parsing and mapping never hold up the server.
 *
 * @example
 *   const { rows, profiles } = await mapLogFile({ kind: 'tracking', format: 'csv', inputPath, eventsPath, profilesPath, eventSchema });
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { problem } from '../errors.ts';
import type { ComposableSchema } from '../schema/compose.ts';
import { compileValidator } from '../schema/validate.ts';
import { isJsonObject, type JsonObject } from '../storage/json.ts';
import { logRowToEvent, profileRecord, resolveColumns, type LogKind, type ResolvedColumns } from './log-mapping.ts';

export interface MapLogJob {
  kind: LogKind;
  format: 'csv' | 'jsonl';
  /** CSV delimiter (default `,`). */
  delimiter?: string;
  inputPath: string;
  eventsPath: string;
  profilesPath: string;
  /** The campaign event schema: rows it refuses keep their Campaign row for the rejection, and change no profile. */
  eventSchema: ComposableSchema;
}

/** A data row of the Campaign file, or why it cannot be read as one. */
type LogRow =
  | { problem?: undefined; columns: ResolvedColumns; cells: string[]; original: Record<string, string> }
  | { problem: string };

/** Lines are written in pieces of about this many characters. */
const WRITE_CHUNK = 64 * 1024;

class LineWriter {
  private readonly out: WriteStream;
  private text = '';
  lines = 0;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  async write(line: string): Promise<void> {
    this.text += line + '\n';
    this.lines++;
    if (this.text.length >= WRITE_CHUNK) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }

  private async flush(): Promise<void> {
    if (!this.text) return;
    const ok = this.out.write(this.text);
    this.text = '';
    if (!ok) await once(this.out, 'drain');
  }
}

export async function mapLogFile(job: MapLogJob): Promise<{ rows: number; profiles: number }> {
  const validate = compileValidator(job.eventSchema);
  const events = new LineWriter(job.eventsPath);
  const profiles = new LineWriter(job.profilesPath);
  try {
    const rows = job.format === 'csv' ? csvRows(job.inputPath, job.delimiter ?? ',', job.kind) : jsonlRows(job.inputPath, job.kind);
    for await (const row of rows) {
      if (row.problem !== undefined) {
        // Not a row we can map: a JSON string is rejected by the batch alone ("one JSON object"), showing why.
        await events.write(JSON.stringify(row.problem));
        continue;
      }
      const mapped = logRowToEvent(job.kind, row.columns, row.cells);
      if (validate(mapped.record).length > 0) {
        // The batch rejects it with the field and the reason; the Campaign row shows in the rejection.
        (mapped.record.campaign as JsonObject).sourceRow = row.original;
      } else if (mapped.profile) {
        const id = `campaign:profile:${createHash('sha256').update(`${job.kind}\n${row.cells.join('\u0000')}`).digest('hex').slice(0, 32)}`;
        const record = profileRecord(mapped.profile, id);
        if (record) await profiles.write(JSON.stringify(record));
      }
      await events.write(JSON.stringify(mapped.record));
    }
  } finally {
    await events.close();
    await profiles.close();
  }
  if (events.lines === 0) throw problem('INVALID_FILE', 'the file has no data rows');
  return { rows: events.lines, profiles: profiles.lines };
}

async function* csvRows(path: string, delimiter: string, kind: LogKind): AsyncGenerator<LogRow> {
  const parser = createReadStream(path).pipe(parse({ bom: true, delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }));
  let header: string[] | undefined;
  let columns: ResolvedColumns | undefined;
  for await (const cells of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = cells.map((c) => c.trim());
      const resolved = resolveColumns(kind, header);
      if (resolved.missing.length > 0) {
        throw problem('INVALID_FILE', `the ${kind} file lacks ${resolved.missing.map((m) => `a ${m.names.join(' or ')} column`).join(', ')}`, {
          errors: resolved.missing.map((m) => ({ path: m.field, message: `needs a column named ${m.names.join(' or ')}` })),
        });
      }
      columns = resolved.columns;
      continue;
    }
    if (cells.length !== header.length) {
      yield { problem: `has ${cells.length} values but the header has ${header.length} columns: ${cells.join(delimiter).slice(0, 2000)}` };
      continue;
    }
    const original: Record<string, string> = {};
    header.forEach((h, i) => (original[h] = cells[i]));
    yield { columns: columns!, cells, original };
  }
  if (!header) throw problem('INVALID_FILE', 'the file is empty: a header row with the Campaign column names is needed');
}

async function* jsonlRows(path: string, kind: LogKind): AsyncGenerator<LogRow> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  const plans = new Map<string, ResolvedColumns>();
  for await (const text of lines) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { problem: `is not valid JSON (${(err as Error).message}): ${text.slice(0, 2000)}` };
      continue;
    }
    if (!isJsonObject(value)) {
      yield { problem: `must be one JSON object with Campaign column names: ${text.slice(0, 2000)}` };
      continue;
    }
    const header = Object.keys(value);
    const cells = header.map((k) => {
      const v = value[k];
      return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
    // Lines of one export share their keys: resolve the columns once per key set.
    const signature = header.join('\u0000');
    let columns = plans.get(signature);
    if (!columns) {
      columns = resolveColumns(kind, header).columns;
      plans.set(signature, columns);
    }
    const original: Record<string, string> = {};
    header.forEach((h, i) => (original[h] = cells[i]));
    yield { columns, cells, original };
  }
}
