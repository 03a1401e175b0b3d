/**
 * Read-only SQL over a sandbox's lake. Each query gets its own in-memory DuckDB instance holding
 * a view per dataset of that sandbox it names, then locked down: only those lake files can be
 * read, nothing else on disk or the network, no extension loading, no configuration changes.
 * Queries have a time limit (the connection is interrupted) and a row limit.
 *
 * @example
 *   const query = new QueryService(lake);
 *   const out = await query.query(sandboxId, 'SELECT web.webPageDetails.name, count(*) AS n FROM web_events GROUP BY 1', { timeoutMs: 30_000, maxRows: 1000 });
 *   out.rows; // [{ name: 'home', n: 12 }, ...]
 */
import { availableParallelism, totalmem } from 'node:os';
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { MeridianError, problem } from '../errors.ts';
import type { JsonObject } from '../storage/json.ts';
import { duckValueToJson, typeName } from './duckdb-json.ts';
import type { Lake, LakeTable } from './lake.ts';
import { openSandboxDatabase, type SandboxDatabase, type SandboxDatabaseConfig } from './sandbox-database.ts';
import { assertReadOnlyStatementType, assertReadOnlyText } from './statement-guard.ts';

export interface QueryOptions {
  timeoutMs: number;
  maxRows: number;
}

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: JsonObject[];
  rowCount: number;
  /** True when the query had more rows than `maxRows`. */
  truncated: boolean;
  elapsedMs: number;
}

export interface QueryServiceOptions {
  /** Longest a query waits for the lake to catch up with the record log (default and at most: half its time limit). */
  freshnessWaitMs?: number;
  /** DuckDB threads per query (default 2). */
  threads?: number;
  /** DuckDB memory per query (default a quarter of RAM, at least 256 MB); nothing spills to disk. */
  memoryLimit?: string;
  /** Queries running at once; more wait for a turn within their time limit (default 4). */
  maxConcurrent?: number;
  /** Called with each query's duration in seconds. */
  observe?: (seconds: number) => void;
}

/** What the query service needs from the lake. */
export type QueryableLake = Pick<Lake, 'flush' | 'tables' | 'enterRead'>;

const MAX_ERROR_CHARS = 2000;

export class QueryService {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private parser?: Promise<SandboxDatabase>;

  constructor(
    private readonly lake: QueryableLake,
    private readonly options: QueryServiceOptions = {},
  ) {}

  /** Runs one read-only statement against the sandbox's datasets (each a table named by the dataset). */
  async query(sandboxId: string, sql: string, options: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    try {
      assertReadOnlyText(sql);
      await this.waitForFreshLake(Math.min(this.options.freshnessWaitMs ?? Infinity, options.timeoutMs / 2));
      const remaining = Math.max(1, options.timeoutMs - (performance.now() - started));
      const result = await this.withTimeLimit(remaining, options.timeoutMs, (session) => this.execute(sandboxId, sql, options.maxRows, session));
      return { ...result, elapsedMs: Math.round(performance.now() - started) };
    } finally {
      this.options.observe?.((performance.now() - started) / 1000);
    }
  }

  /** Flushes the lake so results include every accepted record, unless that takes too long. */
  private async waitForFreshLake(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    // A failing flush must not fail the query: it runs on what the lake already holds.
    await Promise.race([this.lake.flush().catch(() => undefined), giveUp]);
    clearTimeout(timer);
  }

  private async withTimeLimit<T>(ms: number, limitMs: number, work: (session: QuerySession) => Promise<T>): Promise<T> {
    const session: QuerySession = { timedOut: false };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        session.timedOut = true;
        session.connection?.interrupt();
        reject(problem('QUERY_TIMEOUT', `the query did not finish within ${limitMs} ms`));
      }, ms);
    });
    const running = work(session);
    running.catch(() => undefined); // after a timeout nobody awaits it; it still cleans up
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute(sandboxId: string, sql: string, maxRows: number, session: QuerySession): Promise<Omit<QueryResult, 'elapsedMs'>> {
    await this.takeTurn();
    const release = this.lake.enterRead();
    let database: SandboxDatabase | undefined;
    try {
      stopIfTimedOut(session);
      const tables = referencedTables(await this.tableNamesIn(sql), await this.lake.tables(sandboxId));
      database = await openSandboxDatabase(tables, this.instanceConfig(), (connection) => (session.connection = connection));
      // The time limit may have passed before there was a connection to interrupt: never start then.
      stopIfTimedOut(session);
      const statement = await prepareSingle(database.connection, sql);
      stopIfTimedOut(session);
      return await readRows(statement, maxRows);
    } catch (err) {
      throw classifyError(err, session.timedOut);
    } finally {
      database?.close();
      void release();
      this.endTurn();
    }
  }

  /** Table names the statement mentions, from DuckDB's parser (an empty, locked instance). */
  private async tableNamesIn(sql: string): Promise<readonly string[]> {
    this.parser ??= openSandboxDatabase([], { threads: '1', memory_limit: '64MB' });
    try {
      return (await this.parser).connection.getTableNames(sql, false);
    } catch {
      return []; // a syntax error: preparing the statement reports it
    }
  }

  /** Releases the parser instance. */
  close(): void {
    void this.parser?.then((db) => db.close()).catch(() => undefined);
    this.parser = undefined;
  }

  private instanceConfig(): SandboxDatabaseConfig {
    const defaultMemoryMb = Math.max(256, Math.floor(totalmem() / 4 / 2 ** 20));
    return {
      threads: String(this.options.threads ?? Math.min(2, availableParallelism())),
      memory_limit: this.options.memoryLimit ?? `${defaultMemoryMb}MB`,
    };
  }

  private takeTurn(): Promise<void> {
    if (this.running < (this.options.maxConcurrent ?? 4)) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private endTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

interface QuerySession {
  timedOut: boolean;
  connection?: DuckDBConnection;
}

function stopIfTimedOut(session: QuerySession): void {
  if (session.timedOut) throw problem('QUERY_TIMEOUT', 'the query ran out of time before it could start');
}

/**
 * The datasets the statement names (matched case-insensitively, as DuckDB does); all of them when
 * it names none (e.g. `SHOW TABLES`), so catalog queries see every table. Naming fewer tables
 * means fewer Parquet footers to read before the query starts.
 */
function referencedTables(names: readonly string[], tables: readonly LakeTable[]): LakeTable[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const seen = new Set<string>();
  const unique = tables.filter((t) => {
    const key = t.name.toLowerCase();
    if (seen.has(key)) return false; // two datasets differing only in case: DuckDB sees one table
    seen.add(key);
    return true;
  });
  const used = unique.filter((t) => wanted.has(t.name.toLowerCase()));
  return used.length > 0 ? used : unique;
}

async function prepareSingle(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const extracted = await connection.extractStatements(sql);
  if (extracted.count !== 1) {
    throw problem('QUERY_REJECTED', extracted.count === 0 ? 'the query holds no SQL statement' : `the query holds ${extracted.count} statements; send exactly one`);
  }
  const statement = await extracted.prepare(0);
  assertReadOnlyStatementType(statement.statementType);
  return statement;
}

async function readRows(statement: DuckDBPreparedStatement, maxRows: number): Promise<Omit<QueryResult, 'elapsedMs'>> {
  const result = await statement.stream();
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  const rows: JsonObject[] = [];
  let truncated = false;
  while (!truncated) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const values of chunk.getRows()) {
      if (rows.length === maxRows) {
        truncated = true;
        break;
      }
      const row: JsonObject = {};
      values.forEach((value, i) => (row[names[i]] = duckValueToJson(value, types[i])));
      rows.push(row);
    }
  }
  return { columns: names.map((name, i) => ({ name, type: typeName(types[i]) })), rows, rowCount: rows.length, truncated };
}

function classifyError(err: unknown, timedOut: boolean): MeridianError {
  if (err instanceof MeridianError) return err;
  const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_CHARS);
  if (timedOut || message.startsWith('INTERRUPT')) return problem('QUERY_TIMEOUT', 'the query ran out of time and was stopped');
  if (message.startsWith('Permission Error')) {
    return problem('QUERY_REJECTED', `only this sandbox's datasets can be read (as tables named by the dataset); ${message}`);
  }
  return problem('QUERY_FAILED', message);
}
