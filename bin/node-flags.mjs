// The Node flags Meridian's server runs with: `npm start` (package.json, written out there; a test
// keeps it the same), the `meridian` command (bin/meridian.js), the benchmarks' server processes
// (bench/lib/server-process.ts) and `npm run bench` itself, whose in-process benchmarks run the
// server's components, all pass these.
//
// --max-semi-space-size=64: a young generation of up to 64 MB per semi-space (V8's default tops
// out at 16 MB on 64-bit). A batched ingest request holds ~100 parsed events until its group
// commit, so with the default many outlived a scavenge and were copied, then promoted: `ingest-stream`
// paused the event loop 60-183 ms per second in scavenges of ~12 ms. With 64 MB: ~20 ms per second,
// and batched ingest 23.9-28.7k -> 30.3-37.7k events/s (3 alternating pairs, docs/architecture.md).
// It costs up to ~200 MB more resident memory under load.
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];
