/**
 * Streaming pass benchmark: what the platform spends to re-evaluate one person's streaming
 * audiences after a record reaches their profile (`StreamingAudiences.evaluate`, the work that
 * follows every event's projection on the event loop). In process, on the embedded storage:
 * 1,000 people with loyalty and address attributes and ~25 recent events each, the 20 audiences of
 * `edge-decision` (profile attributes, events within 24 hours, both), one-person passes one after
 * another. The baseline, measured in the same run, is the evaluation alone: the same 20 compiled
 * audiences over the same person's attributes and events already in memory. Their ratio is the
 * price of the pass's reads (identity graph, fragments, event positions and bodies, memberships,
 * due times, owners) and writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapPlatform, openPlatform } from '../packages/server/src/app/platform.ts';
import { loadConfig } from '../packages/server/src/app/config.ts';
import { mintEcid } from '../packages/server/src/edge/interact/identity-cookie.ts';
import { identityKey } from '../packages/server/src/identity/graph.ts';
import { compileExpression } from '../packages/server/src/segmentation/evaluate/index.ts';
import { parseOrThrow } from '../packages/server/src/segmentation/pql/index.ts';
import type { JsonObject } from '../packages/server/src/storage/json.ts';
import { EVENT_TYPES, edgeAudienceExpressions, edgeProfileAttributes } from './fixtures/edge-audiences.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger, formatMs, formatRatio, summarizeLatencies } from './lib/stats.ts';

const NAME = 'streaming-pass';
const PEOPLE = 1000;
const EVENTS_PER_PERSON = 25;

function eventOf(i: number, round: number, now: number): JsonObject {
  return {
    _id: `e${round}-${i}`,
    eventType: EVENT_TYPES[(i + round) % EVENT_TYPES.length],
    timestamp: new Date(now - (EVENTS_PER_PERSON - round) * 60_000).toISOString(),
    web: { webPageDetails: { URL: `https://shop.example.test/products/${round}`, name: `product ${round}` } },
    device: { screenHeight: 1080, screenWidth: 1920 },
    environment: { type: 'browser' },
  };
}

export async function runStreamingPass(): Promise<BenchmarkReport> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-streaming-'));
  const passes = Math.max(500, Math.round(6000 * benchScale()));
  const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: dir, MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_ADMIN_KEY: 'mrd_bench_streaming_key_0123456789' }));
  try {
    await platform.startThreads();
    await bootstrapPlatform(platform);
    const sandbox = await platform.tenancy.getSandbox('prod');
    const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
    const web = await platform.catalog.create(sandbox.id, { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    say(NAME, `setting up ${PEOPLE} people with ${EVENTS_PER_PERSON} events each and 20 audiences`);
    const ecids = Array.from({ length: PEOPLE }, () => mintEcid());
    const identityMap = (ecid: string) => ({ ECID: [{ id: ecid, primary: true }] });
    await platform.ingest.accept(sandbox.id, crm, ecids.map((ecid, i) => ({ _id: `p${i}`, identityMap: identityMap(ecid), ...edgeProfileAttributes(i) })), { source: 'bench' });
    const now = Date.now();
    for (let round = 0; round < EVENTS_PER_PERSON; round++) {
      await platform.ingest.accept(sandbox.id, web, ecids.map((ecid, i) => ({ ...eventOf(i, round, now), identityMap: identityMap(ecid) })), { source: 'bench' });
    }
    const expressions = edgeAudienceExpressions();
    for (const [i, value] of expressions.entries()) await platform.audiences.create(sandbox, { name: `streaming ${i}`, expression: { type: 'PQL', format: 'pql/text', value } });
    await platform.settleProfiles();

    // Each person's first pass writes their memberships; later passes find them unchanged.
    const keys = ecids.map((ecid) => identityKey('ECID', ecid));
    for (const key of keys) await platform.streamingAudiences.evaluate(sandbox.id, [key]);
    say(NAME, `(a) ${formatInteger(passes)} one-person passes`);
    const passMs: number[] = [];
    const passStarted = performance.now();
    for (let n = 0; n < passes; n++) {
      const t = performance.now();
      await platform.streamingAudiences.evaluate(sandbox.id, [keys[(n * 7919) % PEOPLE]]);
      passMs.push(performance.now() - t);
    }
    const passSeconds = (performance.now() - passStarted) / 1000;

    say(NAME, '(b) baseline: the same 20 audiences evaluated over the person already in memory');
    const compiled = expressions.map((value) => compileExpression(parseOrThrow(value)));
    const people = ecids.map((_, i) => ({ profile: edgeProfileAttributes(i), events: Array.from({ length: EVENTS_PER_PERSON }, (_, round) => eventOf(i, round, now)) }));
    const inSegment = () => false;
    const evaluationMs: number[] = [];
    let qualified = 0;
    const evaluationStarted = performance.now();
    for (let n = 0; n < passes; n++) {
      const person = people[(n * 7919) % PEOPLE];
      // A fresh events array, as a pass reads: the engine's per-array caches are built inside the timing.
      const events = person.events.slice();
      const t = performance.now();
      const input = { profile: person.profile, events, now: Date.now(), inSegment };
      for (const expression of compiled) if (expression.matches(input)) qualified++;
      evaluationMs.push(performance.now() - t);
    }
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;

    const pass = summarizeLatencies(passMs);
    const evaluation = summarizeLatencies(evaluationMs);
    say(NAME, `    pass p50 ${formatMs(pass.p50Ms)}, p99 ${formatMs(pass.p99Ms)}; evaluation alone p50 ${formatMs(evaluation.p50Ms)}, p99 ${formatMs(evaluation.p99Ms)} (${formatInteger(qualified)} qualifications)`);
    return {
      benchmark: NAME,
      figures: [
        { measure: 'one-person pass p50 / p99', value: `${formatMs(pass.p50Ms)} / ${formatMs(pass.p99Ms)}` },
        { measure: 'passes per second (one after another)', value: formatInteger(passes / passSeconds) },
        { measure: 'baseline: evaluation alone p50 / p99', value: `${formatMs(evaluation.p50Ms)} / ${formatMs(evaluation.p99Ms)}` },
        { measure: 'baseline: evaluations per second', value: formatInteger(passes / evaluationSeconds) },
        { measure: 'pass ÷ evaluation alone (p50)', value: formatRatio(pass.p50Ms / evaluation.p50Ms) },
      ],
      notes: [
        `${PEOPLE} people, ${EVENTS_PER_PERSON} events each within the last half hour, the 20 audiences of edge-decision (all kept by streaming), in process on the embedded storage`,
        'a pass reads the identity graph, fragments, event positions and bodies (cached), memberships, due times and owners, evaluates, and writes what changed (here: nothing, after a first pass per person)',
      ],
    };
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
