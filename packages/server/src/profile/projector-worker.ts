/**
 * Entry point of the profile projector's worker thread: follows the record log with its own SQLite
 * connection, links identities and writes profile fragments and the record-identity index off the
 * main event loop (ingestion and the edge never wait behind it). It asks the main thread for the
 * plans it does not hold yet (kept until a dataset, schema or identity setting changes, see
 * `plan-cache.ts`) and tells it which profiles changed. Started by `projector-worker-client.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { SqliteIdentityStore } from '../identity/sqlite-store.ts';
import { IdentityService } from '../identity/service.ts';
import { bulkLoadOf, FollowerPace, loadOf } from '../storage/load-gauge.ts';
import { LOG_CACHE_KIB, openSqlite } from '../storage/sqlite.ts';
import { WriteGate } from '../storage/write-gate.ts';
import type { ProjectionPlanner, ProjectionPlans } from './projection-plans.ts';
import { ProfileProjector } from './projector.ts';
import { cachedPlanner, PlanVersion } from './plan-cache.ts';
import { ProjectorActivity, type FromProjectorWorker, type ProjectorWorkerData, type ToProjectorWorker } from './projector-worker-protocol.ts';
import { SqliteProfileStore } from './sqlite-store.ts';

const port = parentPort!;
const data = workerData as ProjectorWorkerData;
const send = (message: FromProjectorWorker) => port.postMessage(message);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

const planRequests = new Map<number, { resolve(plans: ProjectionPlans): void; reject(err: Error): void }>();
let nextPlanId = 1;
const askMainThread: ProjectionPlanner = (datasets) =>
  new Promise((resolve, reject) => {
    const id = nextPlanId++;
    planRequests.set(id, { resolve, reject });
    send({ type: 'plan', id, datasets: [...datasets] });
  });

// Not at a lower OS priority, unlike the lake's flush worker: this thread holds meridian.db's
// write lock for a whole pass, and the event loop's own writes (memberships, decisioning) wait for
// it; starved of CPU while holding the lock, it stalled them (priority inversion; seen as
// SQLITE_BUSY under load). It steps back between slices instead, while the event loop is
// saturated, and not while someone waits for it to catch up.
let waitingForCatchUp = 0;
const activity = new ProjectorActivity(data.activity);
const pace = new FollowerPace(
  () => loadOf(data.load),
  () => waitingForCatchUp > 0,
  () => bulkLoadOf(data.load),
);
const db = openSqlite(data.databasePath, data.durability, data.autoCheckpointPages, undefined, data.writeGate && new WriteGate(data.writeGate, 'background'));
const recordsDb =
  data.recordsPath && data.recordsPath !== data.databasePath ? openSqlite(data.recordsPath, data.durability, data.autoCheckpointPages, LOG_CACHE_KIB) : db;
const projector = new ProfileProjector({
  records: new SqliteRecordStore(recordsDb),
  plans: data.planVersion ? cachedPlanner(askMainThread, new PlanVersion(data.planVersion)) : askMainThread,
  identity: new IdentityService(new SqliteIdentityStore(db)),
  profiles: new SqliteProfileStore(db),
  onApplied: (sandboxId, identities) => send({ type: 'applied', sandboxId, identities: [...identities] }),
  onProfileChanged: (sandboxId, identities) => send({ type: 'changed', sandboxId, identities: [...identities] }),
  onError: (err, seq) => send({ type: 'skipped', seq, message: errorText(err) }),
  pace: (behind) => pace.beforeWork(behind),
});

send({ type: 'ready' });

/** The pass in progress, and whether the log grew since it started reading. */
let running: Promise<void> | undefined;
let again = false;
function project(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        const seen = activity.passStarts();
        await projector.catchUp();
        // A nudge the main thread only counted (it saw this thread busy) shows as a moved count.
        if (!again) again = activity.passEnded(seen);
      } while (again);
    } catch (err) {
      // A failed pass is retried on the next nudge: the main thread must see this thread idle.
      activity.idle();
      throw err;
    }
  })().finally(() => {
    running = undefined;
    pace.idle();
  });
  return running;
}

port.on('message', (message: ToProjectorWorker) => {
  switch (message.type) {
    case 'nudge':
      project().catch((err: unknown) => send({ type: 'passFailed', message: errorText(err) }));
      break;
    case 'catchUp':
      waitingForCatchUp++;
      project()
        .then(
          () => send({ type: 'caughtUp', id: message.id }),
          (err: unknown) => send({ type: 'catchUpFailed', id: message.id, message: errorText(err) }),
        )
        .finally(() => waitingForCatchUp--);
      break;
    case 'plans':
      planRequests.get(message.id)?.resolve(message.plans);
      planRequests.delete(message.id);
      break;
    case 'plansFailed':
      planRequests.get(message.id)?.reject(new Error(message.message));
      planRequests.delete(message.id);
      break;
    case 'close':
      void (running ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          db.close();
          if (recordsDb !== db) recordsDb.close();
          port.close(); // nothing else keeps the thread alive: it exits
        });
      break;
  }
});
