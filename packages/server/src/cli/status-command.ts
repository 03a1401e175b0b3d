/**
 * `meridian status`: is the server up, and what does it hold? Calls `/health`, then (with a key)
 * the admin API for every sandbox the key may see: its datasets, their schemas and record counts.
 *
 * @example
 *   meridian status --url http://localhost:8080 --key mrd_...
 */
import { Command } from 'commander';
import type { Dataset } from '../catalog/model.ts';
import type { SchemaDoc } from '../schema/model.ts';
import type { Sandbox } from '../tenancy/model.ts';
import { ApiClient, connectionFrom, withConnectionOptions, type ConnectionOptions } from './api-client.ts';
import { formatCount, formatDuration, formatTable } from './format.ts';

interface Health {
  status: string;
  storage: string;
  uptimeSeconds: number;
}

interface DatasetSummary {
  dataset: Dataset;
  schemaName: string;
  recordCount: number;
}

interface SandboxSummary {
  sandbox: Sandbox;
  datasets: DatasetSummary[];
}

async function summarizeSandbox(api: ApiClient, sandbox: Sandbox): Promise<SandboxSummary> {
  const scope = { sandbox: sandbox.name };
  const [datasets, schemas] = await Promise.all([
    api.get<{ items: Dataset[] }>('/api/v1/datasets', scope),
    api.get<{ items: SchemaDoc[] }>('/api/v1/schemas', scope),
  ]);
  const schemaNames = new Map(schemas.items.map((s) => [s.id, s.name]));
  const summaries = await Promise.all(
    datasets.items.map(async (dataset) => {
      const detail = await api.get<{ recordCount: number }>(`/api/v1/datasets/${encodeURIComponent(dataset.id)}`, scope);
      return { dataset, schemaName: schemaNames.get(dataset.schemaId) ?? dataset.schemaId, recordCount: detail.recordCount };
    }),
  );
  return { sandbox, datasets: summaries };
}

function renderSandbox({ sandbox, datasets }: SandboxSummary): string {
  const title = `sandbox ${sandbox.name} (${sandbox.type}): ${datasets.length} dataset${datasets.length === 1 ? '' : 's'}`;
  if (datasets.length === 0) return title;
  const rows = datasets.map(({ dataset, schemaName, recordCount }) => [
    dataset.name,
    dataset.id,
    dataset.class,
    schemaName,
    formatCount(recordCount),
    dataset.profileEnabled ? 'yes' : 'no',
  ]);
  return `${title}\n${formatTable(['dataset', 'id', 'class', 'schema', '#records', 'profile'], rows, '  ')}`;
}

export function statusCommand(): Command {
  return withConnectionOptions(new Command('status'), { sandbox: false })
    .description('show server health, sandboxes and datasets with record counts')
    .action(async (options: ConnectionOptions) => {
      const api = new ApiClient(connectionFrom(options));
      const health = await api.get<Health>('/health');
      const out = [`Meridian at ${api.connection.url}: ${health.status} (${health.storage} storage, up ${formatDuration(health.uptimeSeconds)})`];
      if (!api.connection.key) {
        out.push('Pass --key or set MERIDIAN_API_KEY to see sandboxes and datasets.');
        process.stdout.write(`${out.join('\n')}\n`);
        return;
      }
      process.stdout.write(`${out.join('\n')}\n`);
      const sandboxes = await api.get<{ items: Sandbox[] }>('/api/v1/sandboxes');
      const summaries = await Promise.all(sandboxes.items.map((sandbox) => summarizeSandbox(api, sandbox)));
      const totalRecords = summaries.flatMap((s) => s.datasets).reduce((sum, d) => sum + d.recordCount, 0);
      const lines = ['', ...summaries.map(renderSandbox), '', `${formatCount(totalRecords)} records in ${summaries.length} sandbox${summaries.length === 1 ? '' : 'es'}`];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
