/**
 * Reading an external audience upload (pure, no I/O): a CSV file whose header names identity
 * namespaces (`email`, `CRMID`, ... case-insensitive), or a column of `NS:value` identities
 * (header `identity`), or, with a `namespace` parameter, a single column of values in that
 * namespace. Every data line yields identities or a reason it was rejected, by line number;
 * one bad line never blocks the others. Also the small multipart/form-data reader the route uses.
 *
 * @example
 *   readIdentityCsv('email,CRMID\nann@example.com,C1\n', { resolve });  // { identities: [{ line: 2, namespace: 'Email', value: 'ann@example.com' }, ...] }
 */
import { parse } from 'csv-parse/sync';

export interface UploadedIdentity {
  /** 1-based line of the file (the header is line 1). */
  line: number;
  namespace: string;
  value: string;
}

export interface RejectedLine {
  line: number;
  message: string;
}

export interface IdentityCsv {
  identities: UploadedIdentity[];
  rejected: RejectedLine[];
  /** Data lines read (the header excluded). */
  lines: number;
}

export interface CsvOptions {
  /** The namespace code for a header or parameter (case-insensitive), or undefined when unknown. */
  resolve: (name: string) => string | undefined;
  /** Every value is in this namespace (first column, or the column of that name). */
  namespace?: string;
}

/** Header of the column holding `NS:value` identities. */
const IDENTITY_COLUMN = 'identity';

export class UploadFormatError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export function readIdentityCsv(text: string, options: CsvOptions): IdentityCsv {
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: false, trim: true, bom: true }) as string[][];
  } catch (err) {
    throw new UploadFormatError(`the file is not valid CSV: ${(err as Error).message}`, 'file');
  }
  if (rows.length === 0 || rows[0].every((h) => h === '')) throw new UploadFormatError('the file is empty: it needs a header row naming the identity columns', 'file');
  const header = rows[0];
  const columns = planColumns(header, options);
  const result: IdentityCsv = { identities: [], rejected: [], lines: 0 };
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const line = r + 1;
    if (row.length === 1 && row[0] === '') continue; // a blank line is not a row
    result.lines++;
    const found: UploadedIdentity[] = [];
    const problems: string[] = [];
    for (const column of columns) {
      const cell = row[column.index]?.trim() ?? '';
      if (cell === '') continue;
      if (column.namespace) {
        found.push({ line, namespace: column.namespace, value: cell });
        continue;
      }
      const colon = cell.indexOf(':');
      const namespace = colon > 0 ? options.resolve(cell.slice(0, colon)) : undefined;
      if (colon <= 0) problems.push(`"${cell}" is not NS:value`);
      else if (!namespace) problems.push(`unknown identity namespace "${cell.slice(0, colon)}"`);
      else found.push({ line, namespace, value: cell.slice(colon + 1) });
    }
    if (problems.length > 0) result.rejected.push({ line, message: problems.join('; ') });
    else if (found.length === 0) result.rejected.push({ line, message: 'the line holds no identity' });
    else result.identities.push(...found);
  }
  return result;
}

interface Column {
  index: number;
  /** undefined: the cells are `NS:value`. */
  namespace?: string;
}

function planColumns(header: string[], options: CsvOptions): Column[] {
  if (options.namespace !== undefined) {
    const namespace = options.resolve(options.namespace);
    if (!namespace) throw new UploadFormatError(`unknown identity namespace "${options.namespace}"`, 'namespace');
    const named = header.findIndex((h) => h.toLowerCase() === options.namespace!.toLowerCase() || h.toLowerCase() === namespace.toLowerCase());
    return [{ index: named >= 0 ? named : 0, namespace }];
  }
  const columns: Column[] = [];
  const unknown: string[] = [];
  header.forEach((name, index) => {
    if (name.toLowerCase() === IDENTITY_COLUMN) columns.push({ index });
    else {
      const namespace = options.resolve(name);
      if (namespace) columns.push({ index, namespace });
      else if (name !== '') unknown.push(name);
    }
  });
  if (columns.length === 0) {
    throw new UploadFormatError(
      `no column names an identity namespace (got ${header.map((h) => `"${h}"`).join(', ')}); name columns by namespace (e.g. email, CRMID), use an "identity" column of NS:value, or pass namespace`,
      'file',
    );
  }
  return columns;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer;
}

/** Splits a multipart/form-data body (RFC 7578) into its parts. */
export function readMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!match) throw new UploadFormatError('multipart/form-data needs a boundary parameter', 'content-type');
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // Each part: CRLF, headers, blank line, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers = part.subarray(0, split).toString('utf8');
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
      if (name !== undefined) parts.push({ name, ...(filename !== undefined ? { filename } : {}), ...(type ? { contentType: type.trim() } : {}), body: part.subarray(split + 4) });
    }
    at = next;
  }
  if (parts.length === 0) throw new UploadFormatError('the multipart body holds no part', 'file');
  return parts;
}
