/**
 * Opens the API keys and sandboxes of a data directory, with no server: how `meridian keys` works
 * when the admin key is lost. Only the tenancy tables are opened (one SQLite connection to
 * `meridian.db`), not the whole platform: no lake, no worker threads, no other domain's modules,
 * so a command answers in a fraction of a second. SQLite runs in WAL mode with a busy timeout,
 * so this is safe while a server is using the same directory; a running server trusts a key it
 * has already checked for up to a minute (its key cache).
 *
 * @example
 *   const keys = await withLocalTenancy('./data', (tenancy) => tenancy.listApiKeys());
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../app/config.ts';
import { MeridianError } from '../errors.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteTenancyStore } from '../tenancy/sqlite-store.ts';
import { TenancyService } from '../tenancy/service.ts';
import { CliError } from './cli-error.ts';

/** The platform's database file in the data directory (`openPlatform` keeps tenancy there). */
const DATABASE_FILE = 'meridian.db';

function configFor(dataDir: string | undefined): Readonly<Config> {
  try {
    return loadConfig({ ...process.env, ...(dataDir !== undefined ? { MERIDIAN_DATA_DIR: dataDir } : {}), MERIDIAN_LOG_LEVEL: 'silent' });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

export async function withLocalTenancy<T>(dataDir: string | undefined, work: (tenancy: TenancyService) => Promise<T>): Promise<T> {
  const config = configFor(dataDir);
  const path = join(config.dataDir, DATABASE_FILE);
  // Opening a directory that holds no Meridian data would quietly create an empty database there.
  if (!existsSync(path)) {
    throw new CliError(
      `no Meridian data in ${config.dataDir} (${DATABASE_FILE} not found); pass --data-dir or set MERIDIAN_DATA_DIR, or run \`meridian start\` once`,
    );
  }
  const db = openSqlite(path, config.durability);
  try {
    const tenancy = new TenancyService(new SqliteTenancyStore(db));
    if ((await tenancy.listSandboxes()).length === 0) {
      throw new CliError(`the data in ${config.dataDir} was never initialised; run \`meridian start\` once`);
    }
    return await work(tenancy);
  } catch (error) {
    if (error instanceof MeridianError) throw new CliError(`${error.detail} (${error.code})`);
    throw error;
  } finally {
    db.close();
  }
}
