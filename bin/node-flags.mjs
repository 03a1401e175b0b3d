// The Node flags Meridian's server runs with: `npm start` (package.json, written out there; a test
// keeps it the same), the `meridian` command (bin/meridian.js), the benchmarks' server processes
// (bench/lib/server-process.ts) and `npm run bench` itself, whose in-process benchmarks run the
// server's components, all pass these.
//
// --no-allocation-site-pretenuring: V8 stops deciding, from how many objects of one allocation
// site survived a scavenge, to allocate that site's objects straight in the old generation. Under
// batched ingestion (events held until their group commit, then in the profile's event cache for
// about a second) it took that decision in about half the runs; from then on those short-lived
// objects filled the old generation, scavenges took ~15 ms instead of ~4, major collections ran
// every few seconds, and V8's helper threads used ~100 ms/s more of the two cores. `ingest-stream`
// batched: event-loop GC pauses 164-205 -> 52-68 ms/s, events/s 27.3k -> 31.4k on average over
// 3 alternating pairs (docs/architecture.md, bench/README.md "session 22"). Memory stays flat
// (`ingest-csv` peak RSS full/quarter 1.09-1.18x).
export const SERVER_NODE_FLAGS = ['--no-allocation-site-pretenuring'];
