/**
 * The CLI's view of a running Meridian: where it is (`--url`, `--key`, `--sandbox`, defaulting to
 * MERIDIAN_URL, MERIDIAN_API_KEY and `prod`) and a small JSON client for its admin API that turns
 * problem+json answers into `CliError`s carrying the problem's `detail`.
 *
 * @example
 *   const api = new ApiClient({ url: 'http://localhost:8080', key: 'mrd_...', sandbox: 'prod' });
 *   const { items } = await api.get<{ items: Sandbox[] }>('/api/v1/sandboxes');
 */
import type { Command } from 'commander';
import { CliError, refused, unreachable } from './cli-error.ts';

export const DEFAULT_URL = 'http://localhost:8080';

export interface Connection {
  url: string;
  key?: string;
  sandbox: string;
}

export interface ConnectionOptions {
  url: string;
  key?: string;
  sandbox?: string;
}

/** Adds `--url`, `--key` and (unless the command spans sandboxes) `--sandbox` to a command. */
export function withConnectionOptions(command: Command, { sandbox = true } = {}): Command {
  command
    .option('--url <url>', 'Meridian server URL (env MERIDIAN_URL)', process.env.MERIDIAN_URL || DEFAULT_URL)
    .option('--key <key>', 'API key (env MERIDIAN_API_KEY)');
  if (sandbox) command.option('--sandbox <name>', 'sandbox to work in (env MERIDIAN_SANDBOX)', process.env.MERIDIAN_SANDBOX || 'prod');
  return command;
}

/** The connection a command was given, with the key taken from the environment when not passed. */
export function connectionFrom(options: ConnectionOptions): Connection {
  const key = options.key ?? (process.env.MERIDIAN_API_KEY || undefined);
  return { url: options.url.replace(/\/+$/, ''), sandbox: options.sandbox ?? 'prod', ...(key ? { key } : {}) };
}

export class ApiClient {
  constructor(readonly connection: Connection) {}

  /** Headers every admin call carries: the key and the sandbox. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { 'x-sandbox-name': this.connection.sandbox, ...extra };
    if (this.connection.key) headers.authorization = `Bearer ${this.connection.key}`;
    return headers;
  }

  requireKey(): void {
    if (!this.connection.key) throw new CliError('an API key is needed: pass --key or set MERIDIAN_API_KEY (`meridian keys create` makes one)');
  }

  get<T>(path: string, options: { sandbox?: string } = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  async request<T>(method: string, path: string, body?: unknown, options: { sandbox?: string } = {}): Promise<T> {
    const headers = this.headers(options.sandbox ? { 'x-sandbox-name': options.sandbox } : {});
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.connection.url + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw unreachable(this.connection.url, error);
    }
    const parsed = await readBody(response);
    if (!response.ok) throw refused(response.status, parsed);
    return parsed as T;
  }
}

/** The body as JSON when it says so, else as text. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
