/**
 * Server configuration: read once from the environment, validated against a schema, frozen.
 *
 * @example
 *   const config = loadConfig({ MERIDIAN_PORT: '0', MERIDIAN_DATA_DIR: '/tmp/m' });
 *   config.port; // 0
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { resolve } from 'node:path';

export const Config = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  dataDir: Type.String({ minLength: 1 }),
  adminKey: Type.Optional(Type.String({ minLength: 16 })),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  /** SQLite `synchronous`: `normal` survives a process crash, `full` also survives power loss. */
  durability: Type.Union([Type.Literal('normal'), Type.Literal('full')]),
  /** Largest request body accepted, in bytes (after gzip decoding). */
  bodyLimitBytes: Type.Integer({ minimum: 1024 }),
  /** Most records accepted in one streaming ingest request. */
  ingestMaxRecords: Type.Integer({ minimum: 1 }),
  /** Largest batch file accepted, in bytes. */
  batchMaxBytes: Type.Integer({ minimum: 1024 }),
  /** Keep a batch worker started and waiting, so an upload does not wait for one to load (~100 MiB idle). */
  batchWarmWorker: Type.Boolean(),
  /** How often new records are moved from the record log into the lake, in milliseconds. */
  lakeFlushIntervalMs: Type.Integer({ minimum: 10 }),
  queryTimeoutMs: Type.Integer({ minimum: 10 }),
  queryMaxRows: Type.Integer({ minimum: 1 }),
  /** How often dataset retention is enforced, in milliseconds. */
  retentionIntervalMs: Type.Integer({ minimum: 1000 }),
  /** Most people the edge projection holds in memory. */
  edgeProjectionMaxProfiles: Type.Integer({ minimum: 1 }),
  /** PEM certificate and key files: when both are set the server speaks https (the Adobe Web SDK calls the edge over https only). */
  tlsCert: Type.Optional(Type.String({ minLength: 1 })),
  tlsKey: Type.Optional(Type.String({ minLength: 1 })),
});
export type Config = Static<typeof Config>;

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return n;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const candidate = {
    port: integer(env, 'MERIDIAN_PORT', 8080),
    host: env.MERIDIAN_HOST ?? '0.0.0.0',
    dataDir: resolve(env.MERIDIAN_DATA_DIR ?? './data'),
    adminKey: env.MERIDIAN_ADMIN_KEY || undefined,
    logLevel: env.MERIDIAN_LOG_LEVEL ?? 'info',
    durability: env.MERIDIAN_DURABILITY ?? 'normal',
    bodyLimitBytes: integer(env, 'MERIDIAN_BODY_LIMIT_BYTES', 5 * 1024 * 1024),
    ingestMaxRecords: integer(env, 'MERIDIAN_INGEST_MAX_RECORDS', 1000),
    batchMaxBytes: integer(env, 'MERIDIAN_BATCH_MAX_BYTES', 10 * 1024 * 1024 * 1024),
    batchWarmWorker: boolean(env, 'MERIDIAN_BATCH_WARM_WORKER', true),
    lakeFlushIntervalMs: integer(env, 'MERIDIAN_LAKE_FLUSH_MS', 2000),
    queryTimeoutMs: integer(env, 'MERIDIAN_QUERY_TIMEOUT_MS', 30_000),
    queryMaxRows: integer(env, 'MERIDIAN_QUERY_MAX_ROWS', 10_000),
    retentionIntervalMs: integer(env, 'MERIDIAN_RETENTION_INTERVAL_MS', 3_600_000),
    edgeProjectionMaxProfiles: integer(env, 'MERIDIAN_EDGE_PROJECTION_MAX_PROFILES', 1_000_000),
    ...(env.MERIDIAN_TLS_CERT ? { tlsCert: resolve(env.MERIDIAN_TLS_CERT) } : {}),
    ...(env.MERIDIAN_TLS_KEY ? { tlsKey: resolve(env.MERIDIAN_TLS_KEY) } : {}),
  };
  if (candidate.adminKey === undefined) delete (candidate as Partial<typeof candidate>).adminKey;
  const problems = [...Value.Errors(Config, candidate)];
  if (problems.length > 0) {
    const first = problems[0];
    throw new ConfigError(`invalid configuration at ${first.path}: ${first.message}`);
  }
  return Object.freeze(candidate as Config);
}
