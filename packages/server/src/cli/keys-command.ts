/**
 * `meridian keys create|list|revoke`: API keys managed directly in the data directory, so an
 * operator who lost the admin key can make a new one without a running server or an old key.
 *
 * @example
 *   meridian keys create --name ops --role admin
 *   meridian keys create --name web --role ingest --sandbox prod --sandbox dev
 *   meridian keys revoke key_01J...
 */
import { Command, Option } from 'commander';
import type { ApiKey, Role } from '../tenancy/model.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { formatTable, formatTimestamp } from './format.ts';

const ROLES: readonly Role[] = ['admin', 'editor', 'viewer', 'ingest'];
/** Written to the audit log as the actor of changes made from the command line. */
const CLI_ACTOR = 'cli';
/** How long a running server may keep trusting a key it has already checked (its key cache). */
const SERVER_KEY_CACHE_SECONDS = 60;

interface DataDirOptions {
  dataDir?: string;
}

/** Opens the data directory's keys and sandboxes; loaded on use so other commands do not pay for the storage modules. */
async function withLocalTenancy<T>(dataDir: string | undefined, work: (tenancy: TenancyService) => Promise<T>): Promise<T> {
  const local = await import('./local-tenancy.ts');
  return local.withLocalTenancy(dataDir, work);
}

const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (env MERIDIAN_DATA_DIR, default ./data)');

function createKeyCommand(): Command {
  return new Command('create')
    .description('create an API key; its secret is printed once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "ops laptop"')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--sandbox <name...>', 'limit the key to these sandboxes (repeatable; default: all)')
    .option('--json', 'print the key and its secret as JSON')
    .addOption(dataDirOption())
    .action(async (options: DataDirOptions & { name: string; role: Role; sandbox?: string[]; json?: boolean }) => {
      const { key, secret } = await withLocalTenancy(options.dataDir, (tenancy) =>
        tenancy.createApiKey({ name: options.name, role: options.role, ...(options.sandbox ? { sandboxes: options.sandbox } : {}) }, CLI_ACTOR),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ key, secret }, null, 2)}\n`);
        return;
      }
      const scope = key.sandboxes ? `sandboxes ${key.sandboxes.join(', ')}` : 'every sandbox';
      process.stdout.write(
        `Created ${key.role} key ${key.id} ("${key.name}", ${scope}). Its secret, shown only now:\n\n  ${secret}\n\n` +
          `Use it as "Authorization: Bearer <key>", or export MERIDIAN_API_KEY=<key> for this CLI.\n`,
      );
    });
}

function keyRow(key: ApiKey): string[] {
  return [
    key.id,
    key.name,
    key.role,
    key.sandboxes ? key.sandboxes.join(',') : '*',
    `${key.prefix}…`,
    formatTimestamp(key.createdAt),
    formatTimestamp(key.lastUsedAt),
    key.revokedAt ? `revoked ${formatTimestamp(key.revokedAt)}` : 'active',
  ];
}

function listKeysCommand(): Command {
  return new Command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'print the keys as JSON')
    .addOption(dataDirOption())
    .action(async (options: DataDirOptions & { json?: boolean }) => {
      const keys = await withLocalTenancy(options.dataDir, (tenancy) => tenancy.listApiKeys());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        return;
      }
      const header = ['id', 'name', 'role', 'sandboxes', 'starts with', 'created', 'last used', 'status'];
      process.stdout.write(`${formatTable(header, keys.map(keyRow))}\n`);
    });
}

function revokeKeyCommand(): Command {
  return new Command('revoke')
    .description('revoke an API key')
    .argument('<id>', 'key id, as `meridian keys list` shows it')
    .addOption(dataDirOption())
    .action(async (id: string, options: DataDirOptions) => {
      await withLocalTenancy(options.dataDir, (tenancy) => tenancy.revokeApiKey(id, CLI_ACTOR));
      process.stdout.write(
        `Revoked ${id}. A server that is running may accept it for up to ${SERVER_KEY_CACHE_SECONDS} s more (its key cache); restart it to cut that short.\n`,
      );
    });
}

export function keysCommand(): Command {
  return new Command('keys')
    .description('manage API keys directly in the data directory (works without a running server)')
    .addCommand(createKeyCommand())
    .addCommand(listKeysCommand())
    .addCommand(revokeKeyCommand());
}
