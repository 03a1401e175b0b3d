/**
 * Opens the platform straight from a data directory, with no server: how `meridian keys` works
 * when the admin key is lost. SQLite runs in WAL mode with a busy timeout, so this is safe while a
 * server is using the same directory.
 *
 * @example
 *   const keys = await withLocalPlatform('./data', (platform) => platform.tenancy.listApiKeys());
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../app/config.ts';
import { openPlatform, type Platform } from '../app/platform.ts';
import { MeridianError } from '../errors.ts';
import { CliError } from './cli-error.ts';

/** The database file `openPlatform` keeps in the data directory. */
const DATABASE_FILE = 'meridian.db';

function configFor(dataDir: string | undefined): Readonly<Config> {
  try {
    return loadConfig({ ...process.env, ...(dataDir !== undefined ? { MERIDIAN_DATA_DIR: dataDir } : {}), MERIDIAN_LOG_LEVEL: 'silent' });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

export async function withLocalPlatform<T>(dataDir: string | undefined, work: (platform: Platform) => Promise<T>): Promise<T> {
  const config = configFor(dataDir);
  // Opening a directory that holds no Meridian data would quietly create an empty database there.
  if (!existsSync(join(config.dataDir, DATABASE_FILE))) {
    throw new CliError(
      `no Meridian data in ${config.dataDir} (${DATABASE_FILE} not found); pass --data-dir or set MERIDIAN_DATA_DIR, or run \`meridian start\` once`,
    );
  }
  const platform = await openPlatform(config);
  try {
    if ((await platform.tenancy.listSandboxes()).length === 0) {
      throw new CliError(`the data in ${config.dataDir} was never initialised; run \`meridian start\` once`);
    }
    return await work(platform);
  } catch (error) {
    if (error instanceof MeridianError) throw new CliError(`${error.detail} (${error.code})`);
    throw error;
  } finally {
    await platform.close();
  }
}
