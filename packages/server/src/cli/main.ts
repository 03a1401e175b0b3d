/**
 * The `meridian` command line (run through `bin/meridian.js`): start the server, manage API keys
 * in a data directory, check a running server, upload files. Failures print one readable line
 * (the problem's `detail` when the server refused) and exit non-zero.
 *
 * @example
 *   meridian status --url http://localhost:8080 --key mrd_...
 */
import { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { startCommand } from './start-command.ts';
import { keysCommand } from './keys-command.ts';
import { statusCommand } from './status-command.ts';
import { ingestCommand } from './ingest-command.ts';

const program = new Command('meridian')
  .description('Meridian, the self-hosted customer data platform')
  .version('0.1.0')
  .showHelpAfterError()
  .addCommand(startCommand())
  .addCommand(keysCommand())
  .addCommand(statusCommand())
  .addCommand(ingestCommand());

function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof Error && error.name === 'ConfigError') return { message: error.message, exitCode: 1 };
  const message = error instanceof Error ? (process.env.MERIDIAN_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  return { message: `unexpected error: ${message}`, exitCode: 1 };
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const { message, exitCode } = explain(error);
  process.stderr.write(`meridian: ${message}\n`);
  process.exitCode = exitCode;
}
