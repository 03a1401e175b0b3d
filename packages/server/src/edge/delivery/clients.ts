/**
 * Which datastream answers a Target delivery call. The Node SDK sends `imsOrgId` (never
 * `client`); at.js and hand-written calls send `client`. A datastream answers for
 * `imsOrgId` = its `orgId`, and for `client` = its orgId's part before `@` or its name (compared
 * case-insensitively); `configId` (Meridian's own) names the datastream directly. When several
 * datastreams match, the oldest enabled one with personalization on wins. The map is rebuilt at
 * most every `refreshMs` (and at once on a miss, at most every second).
 *
 * @example
 *   const clients = new TargetClients({ sandboxIds, list: (s) => datastreams.list(s) });
 *   await clients.find({ imsOrgId: '53A16ACB5CC1D3760A495C99@AdobeOrg' }); // a datastream id, or undefined
 */
import type { Datastream } from '../datastreams/model.ts';

export interface TargetClientSource {
  sandboxIds(): Promise<string[]>;
  list(sandboxId: string): Promise<Datastream[]>;
}

export interface TargetLookup {
  configId?: string;
  imsOrgId?: string;
  client?: string;
}

/** The client code a datastream answers to: its orgId before `@`, lower-case. */
export function clientCodeOf(datastream: Pick<Datastream, 'orgId'>): string {
  return datastream.orgId.split('@')[0].toLowerCase();
}

export class TargetClients {
  private byOrg = new Map<string, string>();
  private byClient = new Map<string, string>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly source: TargetClientSource,
    private readonly refreshMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  async find(lookup: TargetLookup): Promise<string | undefined> {
    if (lookup.configId) return lookup.configId;
    const age = this.now() - this.loadedAt;
    if (age > this.refreshMs) await this.reload();
    let found = this.match(lookup);
    if (!found && age > 1000) {
      await this.reload();
      found = this.match(lookup);
    }
    return found;
  }

  private match(lookup: TargetLookup): string | undefined {
    if (lookup.imsOrgId) {
      const id = this.byOrg.get(lookup.imsOrgId.toLowerCase());
      if (id) return id;
    }
    return lookup.client ? this.byClient.get(lookup.client.toLowerCase()) : undefined;
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    const all: Datastream[] = [];
    for (const sandboxId of await this.source.sandboxIds()) all.push(...(await this.source.list(sandboxId)));
    const usable = all.filter((d) => d.enabled && d.services.personalization).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const byOrg = new Map<string, string>();
    const byClient = new Map<string, string>();
    for (const d of usable) {
      if (!byOrg.has(d.orgId.toLowerCase())) byOrg.set(d.orgId.toLowerCase(), d.id);
      for (const key of [clientCodeOf(d), d.name.toLowerCase()]) if (!byClient.has(key)) byClient.set(key, d.id);
    }
    this.byOrg = byOrg;
    this.byClient = byClient;
    this.loadedAt = this.now();
  }
}
