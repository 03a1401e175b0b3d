/**
 * Event in → membership change out, in process: events are accepted by the ingest service (the
 * acknowledged, durable point of an HTTP request) at a steady rate, each one the first purchase of a
 * new person, while 20 streaming audiences are kept; the time from acceptance to the membership
 * change announced by the streaming engine (`StreamingAudiences.onChange`, what activation and the
 * edge projection listen to) is measured per event — p50/p99, target p99 ≤ 20 ms. The baseline
 * printed beside it is the bare acceptance (validation + durable commit) of the same requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../packages/server/src/app/config.ts';
import { bootstrapPlatform, openPlatform } from '../packages/server/src/app/platform.ts';
import { identityKey } from '../packages/server/src/identity/graph.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger, formatMs, summarizeLatencies } from './lib/stats.ts';

const NAME = 'membership-latency';
const TARGET_P99_MS = 20;
const PER_REQUEST = 1;
const INTERVAL_MS = 10;

const ecid = (n: number) => String(n).padStart(38, '0');

/** 20 streaming audiences: the measured one, others on events, attributes and audiences of audiences. */
function audiences(boughtId: string): { name: string; pql: string }[] {
  const list = [{ name: 'bought in 3 hours', pql: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases") WHEN(< 3 hours before now)])' }];
  const types = ['commerce.productViews', 'web.webpagedetails.pageViews', 'commerce.checkouts', 'directMarketing.emailClicked'];
  for (let i = 1; list.length < 20; i++) {
    const type = types[i % types.length];
    if (i % 4 === 0) list.push({ name: `tier ${i}`, pql: `loyalty.tier = "${['gold', 'silver', 'bronze'][i % 3]}"` });
    else if (i % 4 === 1) list.push({ name: `viewed ${i}`, pql: `chain(xEvent, timestamp, [A: WHAT(eventType = "${type}") WHEN(< 24 hours before now) COUNT(${1 + (i % 3)})])` });
    else if (i % 4 === 2) list.push({ name: `spent ${i}`, pql: `chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases" and commerce.order.priceTotal > ${i * 5}) WHEN(today)])` });
    else list.push({ name: `buyers and ${i}`, pql: `inSegment("${boughtId}") and chain(xEvent, timestamp, [A: WHAT(eventType = "${type}") WHEN(< 24 hours before now)])` });
  }
  return list;
}

export async function runMembershipLatency(): Promise<BenchmarkReport> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-membership-'));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_ADMIN_KEY: 'mrd_bench_membership_key_0123456789' }));
  try {
    await platform.startThreads(); // as a server starts (app/start.ts)
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const baselineSet = await platform.catalog.create(sandbox.id, { name: 'baseline', schemaId: 'experience-event', profileEnabled: false });
    const first = audiences('')[0];
    const bought = (await platform.audiences.create(sandbox, { name: first.name, expression: { type: 'PQL', format: 'pql/text', value: first.pql } })).id;
    for (const a of audiences(bought).slice(1)) await platform.audiences.create(sandbox, { name: a.name, expression: { type: 'PQL', format: 'pql/text', value: a.pql } });
    const changedAt = new Map<string, number>();
    // When the streaming engine was asked to evaluate each identity: splits the latency into the
    // part before it (projection, computed attributes) and its own part.
    const askedAt = new Map<string, number>();
    const streaming = platform.streamingAudiences;
    const evaluate = streaming.evaluate.bind(streaming);
    streaming.evaluate = (sandboxId, keys, at) => {
      const now = performance.now();
      for (const k of keys) if (!askedAt.has(k)) askedAt.set(k, now);
      return evaluate(sandboxId, keys, at);
    };
    platform.streamingAudiences.onChange((_sandbox, changes) => {
      const now = performance.now();
      for (const c of changes) if (c.audienceId === bought && c.status === 'realized' && !changedAt.has(c.profileId)) changedAt.set(c.profileId, now);
    });
    const events = Math.max(PER_REQUEST * 20, Math.round(3000 * benchScale()));
    const purchase = (n: number, prefix: string) => ({
      _id: `${prefix}${n}`,
      timestamp: new Date().toISOString(),
      eventType: 'commerce.purchases',
      identityMap: { ECID: [{ id: ecid(n) }] },
      commerce: { order: { priceTotal: n % 100 } },
    });

    // Baseline: acceptance alone (validation + durable commit), into a dataset no profile follows.
    const baseline: number[] = [];
    for (let i = 0; i < events; i += PER_REQUEST) {
      const records = Array.from({ length: PER_REQUEST }, (_, j) => purchase(i + j, 'b'));
      const started = performance.now();
      await platform.ingest.accept(sandbox.id, baselineSet, records, { source: 'bench' });
      baseline.push(performance.now() - started);
    }

    say(NAME, `${formatInteger(events)} events, ${PER_REQUEST} per request every ${INTERVAL_MS} ms, 20 streaming audiences`);
    const acceptedAt = new Map<number, number>();
    const started = performance.now();
    for (let i = 0; i < events; i += PER_REQUEST) {
      const due = started + (i / PER_REQUEST) * INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const records = Array.from({ length: PER_REQUEST }, (_, j) => purchase(i + j, 'e'));
      await platform.ingest.accept(sandbox.id, web, records, { source: 'bench' });
      const now = performance.now();
      for (let j = 0; j < PER_REQUEST; j++) acceptedAt.set(i + j, now);
    }
    await platform.settleProfiles();
    const elapsedS = (performance.now() - started) / 1000;
    const policy = await platform.profiles.policy(sandbox.id);
    const latencies: number[] = [];
    const beforeStreaming: number[] = [];
    const inStreaming: number[] = [];
    let missing = 0;
    for (const [n, at] of acceptedAt) {
      const key = identityKey('ECID', ecid(n));
      const person = await platform.profiles.members(sandbox.id, key, policy);
      const changed = person ? changedAt.get(person.profileId) : undefined;
      if (changed === undefined) missing++;
      else latencies.push(Math.max(0, changed - at));
      const asked = askedAt.get(key);
      if (asked !== undefined) beforeStreaming.push(Math.max(0, asked - at));
      if (asked !== undefined && changed !== undefined) inStreaming.push(Math.max(0, changed - asked));
    }
    const summary = summarizeLatencies(latencies);
    const upstream = summarizeLatencies(beforeStreaming);
    const streamingPart = summarizeLatencies(inStreaming);
    const accept = summarizeLatencies(baseline);
    say(NAME, `accepted → membership change: p50 ${formatMs(summary.p50Ms)}, p99 ${formatMs(summary.p99Ms)}, max ${formatMs(summary.maxMs)}; bare acceptance p50 ${formatMs(accept.p50Ms)}`);
    if (missing > 0) throw new Error(`${missing} of ${acceptedAt.size} events produced no membership change`);
    return {
      benchmark: NAME,
      figures: [
        { measure: 'accepted → membership change p50', value: formatMs(summary.p50Ms) },
        { measure: 'accepted → membership change p99', value: formatMs(summary.p99Ms), target: `≤ ${TARGET_P99_MS} ms`, met: summary.p99Ms <= TARGET_P99_MS },
        { measure: 'of which before streaming evaluation p50 / p99', value: `${formatMs(upstream.p50Ms)} / ${formatMs(upstream.p99Ms)}` },
        { measure: 'of which queued + evaluated by streaming p50 / p99', value: `${formatMs(streamingPart.p50Ms)} / ${formatMs(streamingPart.p99Ms)}` },
        { measure: 'baseline: bare acceptance p50 / p99', value: `${formatMs(accept.p50Ms)} / ${formatMs(accept.p99Ms)}` },
        { measure: 'events/s offered', value: formatInteger(events / elapsedS) },
      ],
      notes: [`each event is a new person's first purchase; latency runs from the ingest service's acknowledgement to StreamingAudiences.onChange, in process, with 20 streaming audiences`],
    };
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
