/**
 * How the CLI fails: one error type carrying the message an operator should read, built from a
 * problem+json answer, an unreachable server or bad local input, and printed once by `main.ts`.
 *
 * @example
 *   throw new CliError('dataset "web" does not exist (DATASET_NOT_FOUND, HTTP 404)');
 */

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    /** Process exit status; 1 unless a command says otherwise. */
    readonly exitCode = 1,
    /** The problem's stable code when the server refused, e.g. `INVALID_MAPPING`. */
    readonly problemCode?: string,
  ) {
    super(message);
  }
}

/** The error for a non-2xx answer, carrying the problem's code. */
export function refused(status: number, body: unknown): CliError {
  return new CliError(problemMessage(status, body), 1, isProblemBody(body) ? body.code : undefined);
}

/** The fields of an RFC 9457 body the CLI shows. */
export interface ProblemBody {
  code?: string;
  detail?: string;
  title?: string;
  errors?: { path: string; message: string; index?: number }[];
}

function isProblemBody(value: unknown): value is ProblemBody {
  return typeof value === 'object' && value !== null && ('detail' in value || 'title' in value);
}

/** The operator-facing message for a non-2xx answer: the problem's `detail`, its code and status. */
export function problemMessage(status: number, body: unknown): string {
  if (!isProblemBody(body)) {
    const text = typeof body === 'string' && body.trim() ? `: ${body.trim().slice(0, 300)}` : '';
    return `the server answered HTTP ${status}${text}`;
  }
  const where = [body.code, `HTTP ${status}`].filter(Boolean).join(', ');
  const detail = body.detail ?? body.title ?? '';
  const lines = [`${detail} (${where})`];
  // The detail often spells out the first errors already; list only those it leaves out.
  const unmentioned = (body.errors ?? []).filter((error) => !detail.includes(error.message));
  for (const error of unmentioned.slice(0, 10)) {
    const index = error.index === undefined ? '' : `record ${error.index}: `;
    lines.push(`  ${index}${error.path || '(record)'} ${error.message}`);
  }
  return lines.join('\n');
}

/** A failed connection (refused, unknown host, reset) as a sentence naming the server. */
export function unreachable(url: string, error: unknown): CliError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new CliError(`cannot reach Meridian at ${url} (${reason}); is it running? Set --url or MERIDIAN_URL.`);
}
