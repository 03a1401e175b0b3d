/**
 * Edge decision benchmark. The real Meridian server (child process, temp data dir) holds 1,000
 * known profiles (ECID + loyalty and address attributes, projected to the edge), 20 edge
 * audiences (profile attributes, one event within 24 hours, and combinations) and 5 live
 * activities on 5 scopes that read them. Each request is a ~1 KB alloy-style `/ee/v1/interact`
 * body for one of those visitors asking all 5 scopes: identity → profile → 20 edge audiences →
 * decide → answer, with the event written durably before the answer (acknowledged = durable).
 * Compared, in the same run, with a bare Fastify server answering the same POST with a JSON body
 * of the same size; and with the same decision through the Target delivery API, which writes
 * nothing: the difference is the price of the durable write.
 *
 * The throughput phase (16 connections) runs before the latency phase (2 connections): a server
 * two seconds after start is still compiling its hot paths (V8's optimizing compiler used ~200 ms
 * of a core per second in a latency phase run first, competing with the event loop for the two
 * cores; ~65 ms/s after the throughput phase), and the latency target is about a server in service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../packages/server/src/cli/api-client.ts';
import { encodeIdentityCookie, mintEcid } from '../packages/server/src/edge/interact/identity-cookie.ts';
import { generateLoad, type LoadResult } from './lib/load-generator.ts';
import { describeEventLoop, describeGc, describeThreads, startServerProcess, type EventLoopTime, type GcTime, type ServerProcess, type ThreadTime } from './lib/server-process.ts';
import { EVENT_TYPES, edgeAudienceExpressions, edgeProfileAttributes } from './fixtures/edge-audiences.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger, formatMs, formatRatio } from './lib/stats.ts';

const NAME = 'edge-decision';
const ADMIN_KEY = 'mrd_bench_admin_key_0123456789abcdef';
const ORG_ID = '53A16ACB5CC1D3760A495C99@AdobeOrg';
const PREFIX = 'kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg';
const PROFILES = 1000;
const CONNECTIONS = 16;
/** Latency is measured at light load (queueing at saturation says nothing about one decision). */
const LATENCY_CONNECTIONS = 2;
const SCOPES = ['__view__', 'hero', 'recs', 'promo', 'footer'];
const TARGET_P99_MS = 5;
const TARGET_RATIO = 0.5;

async function setUp(api: ApiClient): Promise<{ configId: string; ecids: string[] }> {
  const events = await api.request<{ id: string }>('POST', '/api/v1/datasets', { name: 'edge_events', schemaId: 'experience-event', profileEnabled: true });
  const crm = await api.request<{ id: string }>('POST', '/api/v1/datasets', { name: 'edge_crm', schemaId: 'profile', profileEnabled: true });
  const ds = await api.request<{ id: string }>('POST', '/api/v1/datastreams', { name: 'bench', eventDatasetId: events.id, orgId: ORG_ID, rateLimit: { requestsPerSecond: 1_000_000 } });
  const ecids = Array.from({ length: PROFILES }, () => mintEcid());
  for (let i = 0; i < PROFILES; i += 500) {
    const records = ecids.slice(i, i + 500).map((ecid, j) => ({
      _id: `p-${i + j}`,
      identityMap: { ECID: [{ id: ecid, primary: true }] },
      ...edgeProfileAttributes(i + j),
    }));
    await api.request('POST', `/api/v1/ingest/${crm.id}`, records);
  }
  const audiences: string[] = [];
  for (const [i, value] of edgeAudienceExpressions().entries()) {
    const a = await api.request<{ id: string; classification: { method: string } }>('POST', '/api/v1/audiences', { name: `edge ${i}`, expression: { type: 'PQL', format: 'pql/text', value } });
    if (a.classification.method !== 'edge') throw new Error(`audience "${value}" is ${a.classification.method}, not edge`);
    audiences.push(a.id);
  }
  const offer = async (i: number) => (await api.request<{ id: string }>('POST', '/api/v1/offers', { name: `offer ${i}`, content: { type: 'json', json: { slot: i, text: `offer number ${i}` } } })).id;
  for (const [s, scope] of SCOPES.entries()) {
    const offers = [await offer(s * 10), await offer(s * 10 + 1), await offer(s * 10 + 2)];
    await api.request('POST', '/api/v1/activities', {
      name: `activity ${scope}`,
      type: 'xt',
      status: 'live',
      location: { scopes: [scope] },
      experiences: [
        { id: 'a', name: 'first audience', offerIds: [offers[0]], audience: { type: 'audience', audienceId: audiences[(s * 4) % 20] } },
        { id: 'b', name: 'second audience', offerIds: [offers[1]], audience: { type: 'all', conditions: [{ type: 'audience', audienceId: audiences[(s * 4 + 1) % 20] }, { type: 'audience', audienceId: audiences[(s * 4 + 9) % 20] }] } },
        { id: 'c', name: 'everyone else', offerIds: [offers[2]] },
      ],
      fallbackExperienceId: 'c',
      metric: { type: 'click' },
    });
  }
  // The profiles are projected (the lookup settles the projector); the first requests warm the edge.
  await api.get(`/api/v1/profiles?identity=ECID:${ecids[0]}`);
  return { configId: ds.id, ecids };
}

/** ~1 KB alloy-style interact bodies, cycling through the known visitors. */
function interactBodies(ecids: readonly string[]): () => Buffer {
  let n = 0;
  const cookies = ecids.map((e) => encodeIdentityCookie(e));
  return () => {
    const i = n++ % ecids.length;
    return Buffer.from(
      JSON.stringify({
        events: [
          {
            xdm: {
              eventType: EVENT_TYPES[n % EVENT_TYPES.length],
              web: { webPageDetails: { URL: `https://shop.example.test/products/${n % 50}?utm_source=bench`, name: `product ${n % 50}` }, webReferrer: { URL: 'https://search.example.test/?q=shoes' } },
              device: { screenHeight: 1080, screenWidth: 1920, screenOrientation: 'landscape' },
              environment: { type: 'browser', browserDetails: { viewportWidth: 1280, viewportHeight: 720 } },
              placeContext: { localTime: '2026-11-23T10:00:00.000+01:00', localTimezoneOffset: -60 },
              timestamp: new Date().toISOString(),
              implementationDetails: { name: 'https://ns.adobe.com/experience/alloy', version: '2.33.1', environment: 'browser' },
            },
            query: { personalization: { schemas: ['https://ns.adobe.com/personalization/json-content-item', 'https://ns.adobe.com/personalization/dom-action'], decisionScopes: SCOPES } },
          },
        ],
        query: { identity: { fetch: ['ECID'] } },
        meta: { state: { domain: 'example.test', cookiesEnabled: true, entries: [{ key: `${PREFIX}_identity`, value: cookies[i] }] } },
      }),
    );
  };
}

function deliveryBodies(ecids: readonly string[]): () => Buffer {
  let n = 0;
  return () => {
    const i = n++ % ecids.length;
    return Buffer.from(
      JSON.stringify({
        id: { marketingCloudVisitorId: ecids[i], tntId: `bench-${i}` },
        context: { channel: 'web', address: { url: `https://shop.example.test/products/${n % 50}` }, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120' },
        execute: { pageLoad: {}, mboxes: SCOPES.slice(1).map((name, index) => ({ name, index })) },
      }),
    );
  };
}

interface Measured {
  result: LoadResult;
  serverCores: number;
  /** The server's main thread (Linux only). */
  eventLoop?: EventLoopTime;
  /** CPU of the server's threads by name (Linux only; empty elsewhere). */
  threads: ThreadTime[];
  /** The event loop's garbage-collection pauses. */
  gc?: GcTime;
}

async function measure(server: ServerProcess, path: string, contentType: string, nextBody: () => Buffer, seconds: number, connections = CONNECTIONS): Promise<Measured> {
  const meter = server.cpuMeter();
  const scale = benchScale();
  const result = await generateLoad({
    url: server.url + path,
    method: 'POST',
    headers: { 'content-type': contentType },
    nextBody,
    connections,
    warmupMs: Math.round(2000 * scale),
    durationMs: Math.round(seconds * 1000 * scale),
    onMeasuredPhase: (edge) => meter.onMeasuredPhase(edge),
  });
  const eventLoop = meter.eventLoop();
  const gc = meter.gc();
  return { result, serverCores: meter.cores(), threads: meter.threads(), ...(eventLoop ? { eventLoop } : {}), ...(gc ? { gc } : {}) };
}

/**
 * The profile projector and streaming audiences follow the log and step back while requests
 * saturate the server: what a phase left them is worked off before the next phase is measured.
 */
async function settle(server: ServerProcess): Promise<void> {
  say(NAME, `    followers worked off the phase's backlog ${formatMs(await server.quiet())} after it ended`);
}

function line(m: Measured): string {
  const failures = m.result.errors ? `, ${m.result.errors} FAILED (${JSON.stringify(m.result.outcomes)})` : '';
  const busiest = describeThreads(m.threads);
  const loop =
    (m.eventLoop ? `, ${describeEventLoop(m.eventLoop)}` : '') + (busiest ? `; server threads (ms/s): ${busiest}` : '') + (m.gc ? `; ${describeGc(m.gc)}` : '');
  return `${formatInteger(m.result.requestsPerSecond)} req/s, p50 ${formatMs(m.result.latency.p50Ms)}, p99 ${formatMs(m.result.latency.p99Ms)}, server CPU ${m.serverCores.toFixed(2)} cores${loop}${failures}`;
}

export async function runEdgeDecision(): Promise<BenchmarkReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-edge-'));
  let interact: Measured;
  let light: Measured;
  let delivery: Measured;
  let answerBytes: number;
  let requestBytes: number;
  const meridian = await startServerProcess('meridian-server.ts', {
    MERIDIAN_DATA_DIR: dataDir,
    MERIDIAN_PORT: '0',
    MERIDIAN_HOST: '127.0.0.1',
    MERIDIAN_LOG_LEVEL: 'silent',
    MERIDIAN_ADMIN_KEY: ADMIN_KEY,
  });
  try {
    const api = new ApiClient({ url: meridian.url, key: ADMIN_KEY, sandbox: 'prod' });
    say(NAME, `setting up ${PROFILES} profiles, 20 edge audiences, 5 activities`);
    const { configId, ecids } = await setUp(api);
    const bodies = interactBodies(ecids);
    const sample = bodies();
    requestBytes = sample.length;
    const probe = await fetch(`${meridian.url}/ee/v1/interact?configId=${configId}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: sample.toString('utf8') });
    const probeText = await probe.text();
    if (probe.status !== 200) throw new Error(`interact answered ${probe.status}: ${probeText}`);
    answerBytes = Buffer.byteLength(probeText);
    say(NAME, `(a) the same, ${CONNECTIONS} connections (throughput)`);
    interact = await measure(meridian, `/ee/v1/interact?configId=${configId}`, 'text/plain;charset=UTF-8', bodies, 8);
    say(NAME, `    ${line(interact)}`);
    await settle(meridian);
    say(NAME, `(a) Meridian /ee/v1/interact, ${formatInteger(requestBytes)} B request, ${formatInteger(answerBytes)} B answer, ${LATENCY_CONNECTIONS} connections (latency)`);
    light = await measure(meridian, `/ee/v1/interact?configId=${configId}`, 'text/plain;charset=UTF-8', bodies, 6, LATENCY_CONNECTIONS);
    say(NAME, `    ${line(light)}`);
    await settle(meridian);
    say(NAME, '(c) the same decisions through /rest/v1/delivery (nothing written)');
    delivery = await measure(meridian, `/rest/v1/delivery?imsOrgId=${encodeURIComponent(ORG_ID)}&sessionId=bench`, 'application/json', deliveryBodies(ecids), 6);
    say(NAME, `    ${line(delivery)}`);
  } finally {
    await meridian.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const bareServer = await startServerProcess('bare-edge-server.ts', { BARE_EDGE_ANSWER_BYTES: String(answerBytes) });
  let bare: Measured;
  try {
    say(NAME, '(b) bare Fastify answering the same POST with a same-size JSON body');
    bare = await measure(bareServer, '/ee/v1/interact', 'text/plain;charset=UTF-8', interactBodies(Array.from({ length: 100 }, () => mintEcid())), 8);
    say(NAME, `    ${line(bare)}`);
  } finally {
    await bareServer.stop();
  }
  const ratio = interact.result.requestsPerSecond / bare.result.requestsPerSecond;
  const p99 = light.result.latency.p99Ms;
  const failed = light.result.errors + interact.result.errors + delivery.result.errors + bare.result.errors;
  return {
    benchmark: NAME,
    figures: [
      { measure: `interact p50 (${LATENCY_CONNECTIONS} connections)`, value: formatMs(light.result.latency.p50Ms) },
      { measure: `interact p99 (${LATENCY_CONNECTIONS} connections)`, value: formatMs(p99), target: `≤ ${TARGET_P99_MS} ms`, met: p99 <= TARGET_P99_MS },
      ...(light.eventLoop
        ? [{ measure: `event loop waiting for a core (${LATENCY_CONNECTIONS} connections)`, value: `${formatInteger(light.eventLoop.waitMsPerS)} ms/s (ran ${formatInteger(light.eventLoop.runMsPerS)} ms/s)` }]
        : []),
      ...(light.gc && bare.gc
        ? [
            {
              measure: `event loop GC pauses (${LATENCY_CONNECTIONS} connections; bare at ${CONNECTIONS})`,
              value: `${formatInteger(light.gc.pausedMsPerS)} ms/s, scavenge avg ${light.gc.scavengeAvgMs.toFixed(1)} ms; bare ${formatInteger(bare.gc.pausedMsPerS)} ms/s, avg ${bare.gc.scavengeAvgMs.toFixed(1)} ms`,
            },
          ]
        : []),
      { measure: `interact p50 / p99 (${CONNECTIONS} connections)`, value: `${formatMs(interact.result.latency.p50Ms)} / ${formatMs(interact.result.latency.p99Ms)}` },
      { measure: 'interact req/s', value: formatInteger(interact.result.requestsPerSecond) },
      { measure: 'bare Fastify req/s', value: formatInteger(bare.result.requestsPerSecond) },
      { measure: 'ratio interact/bare', value: formatRatio(ratio), target: `≥ ${formatRatio(TARGET_RATIO)}`, met: ratio >= TARGET_RATIO },
      { measure: 'delivery (no write) p50', value: formatMs(delivery.result.latency.p50Ms) },
      { measure: 'delivery (no write) p99', value: formatMs(delivery.result.latency.p99Ms) },
      { measure: 'delivery (no write) req/s', value: formatInteger(delivery.result.requestsPerSecond) },
      ...(failed > 0 ? [{ measure: 'failed requests', value: formatInteger(failed), target: '0', met: false }] : []),
    ],
    notes: [
      `${PROFILES} profiles with ECID, 20 edge audiences, 5 experience-targeting activities on 5 scopes; each request asks all 5 scopes for a known visitor`,
      `interact writes the event durably (group commit) before answering; delivery makes the same decisions and writes nothing: their gap is the durable write`,
      `servers in child processes, closed-loop keep-alive client in the bench process, loopback; latency at ${LATENCY_CONNECTIONS} connections, throughput and the ratio at ${CONNECTIONS} for every server`,
      `interact server CPU per request: ${formatMs((interact.serverCores / interact.result.requestsPerSecond) * 1000)}; delivery: ${formatMs((delivery.serverCores / delivery.result.requestsPerSecond) * 1000)}; bare: ${formatMs((bare.serverCores / bare.result.requestsPerSecond) * 1000)}`,
    ],
  };
}
