/**
 * Downloads of a batch's rejected rows, streamed page by page: CSV (one line per problem: row,
 * field path, reason, original row as JSON) and JSON lines (one line per rejected row).
 *
 * @example
 *   reply.type('text/csv').send(Readable.from(rejectionsAsCsv(allRejections((page) => batches.listRejections(sandboxId, id, page)))));
 */
import type { BatchRejection } from './service.ts';

export type RejectionPager = (page: { afterId: number; limit: number }) => Promise<BatchRejection[]>;

/**
 * Every rejection, fetched `pageSize` at a time.
 *
 * @example
 *   for await (const page of allRejections((p) => batches.listRejections(sandboxId, batchId, p))) page.length;
 */
export async function* allRejections(fetchPage: RejectionPager, pageSize = 1000): AsyncGenerator<BatchRejection[]> {
  let afterId = 0;
  for (;;) {
    const page = await fetchPage({ afterId, limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    afterId = page[page.length - 1].id;
  }
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const REJECTIONS_CSV_HEADER = 'row,path,reason,original\r\n';

/**
 * CSV text, one line per problem: `row,path,reason,original`.
 *
 * @example
 *   // 2,person.birthDate,"must be a date (YYYY-MM-DD), got ""soon""","{""person.birthDate"":""soon""}"
 */
export async function* rejectionsAsCsv(pages: AsyncIterable<BatchRejection[]>): AsyncGenerator<string> {
  yield REJECTIONS_CSV_HEADER;
  for await (const page of pages) {
    let text = '';
    for (const rejection of page) {
      const original = csvField(JSON.stringify(rejection.original));
      for (const error of rejection.errors) text += `${rejection.row},${csvField(error.path)},${csvField(error.message)},${original}\r\n`;
    }
    yield text;
  }
}

/**
 * JSON lines, one per rejected row.
 *
 * @example
 *   // {"row":2,"errors":[{"path":"person.birthDate","message":"..."}],"original":{"person.birthDate":"soon"}}
 */
export async function* rejectionsAsJsonLines(pages: AsyncIterable<BatchRejection[]>): AsyncGenerator<string> {
  for await (const page of pages) {
    yield page.map((r) => JSON.stringify({ row: r.row, errors: r.errors, original: r.original })).join('\n') + '\n';
  }
}
