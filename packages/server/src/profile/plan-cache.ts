/**
 * Projection plans kept by the projector's thread between passes, instead of one question to the
 * main thread per pass. The main thread owns the catalog, schema and identity services; every
 * change to what a plan holds (a dataset created, changed or deleted, a schema changed, a custom
 * namespace or the identity settings changed, a sandbox deleted) moves a version number both
 * threads share (`PlanVersion`, one Int32 cell). The projector reuses its plans while the number
 * stays where it was when they were fetched, and asks again for all of them once it moves.
 *
 * Before, each pass waited for a reply from the event loop: under load that reply queued behind
 * requests (a pass, and the streaming audiences and webhooks after it, waited with it), and the
 * loop spent ~2–3% of its time answering (`answerPlan` in CPU profiles of ingestion).
 *
 * The version is read before a question is asked: a change made while the answer is on its way
 * leaves the cache older than the number, so the next pass asks again.
 *
 * @example
 *   const version = new PlanVersion();                 // main thread; catalog.onChange(() => version.bump())
 *   const plans = cachedPlanner(askMainThread, new PlanVersion(workerData.planVersion)); // projector thread
 */
import type { DatasetPlan, DatasetRef, ProjectionPlanner, ProjectionPlans, SandboxPlan } from './projection-plans.ts';

export class PlanVersion {
  private readonly cell: Int32Array;

  /** Without a buffer: a new version 0 (main thread); with one: the main thread's cell. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) {
    this.cell = new Int32Array(buffer);
  }

  /** Main thread, after a change to anything a plan holds has taken effect. */
  bump(): void {
    Atomics.add(this.cell, 0, 1);
  }

  current(): number {
    return Atomics.load(this.cell, 0);
  }
}

const refKey = (ref: DatasetRef) => `${ref.sandboxId}\u0000${ref.datasetId}`;

/**
 * A planner that answers from the plans it already holds while `version` has not moved, and asks
 * `ask` only for the datasets (and their sandboxes) it does not hold.
 */
export function cachedPlanner(ask: ProjectionPlanner, version: PlanVersion): ProjectionPlanner {
  let heldAt = Number.NaN;
  const sandboxes = new Map<string, SandboxPlan>();
  const datasets = new Map<string, DatasetPlan>();
  return async (refs) => {
    const now = version.current();
    if (now !== heldAt) {
      sandboxes.clear();
      datasets.clear();
      heldAt = now;
    }
    const missing = refs.filter((ref) => !datasets.has(refKey(ref)) || !sandboxes.has(ref.sandboxId));
    if (missing.length > 0) {
      const answer = await ask(missing);
      // Kept only when nothing changed meanwhile (a rare copy otherwise); this pass uses it either way.
      const kept = version.current() === now;
      const intoSandboxes = kept ? sandboxes : new Map(sandboxes);
      const intoDatasets = kept ? datasets : new Map(datasets);
      for (const [sandboxId, plan] of Object.entries(answer.sandboxes)) intoSandboxes.set(sandboxId, plan);
      for (const plan of answer.datasets) intoDatasets.set(refKey(plan), plan);
      return assemble(refs, intoSandboxes, intoDatasets);
    }
    return assemble(refs, sandboxes, datasets);
  };
}

function assemble(refs: readonly DatasetRef[], sandboxes: ReadonlyMap<string, SandboxPlan>, datasets: ReadonlyMap<string, DatasetPlan>): ProjectionPlans {
  const plans: ProjectionPlans = { sandboxes: {}, datasets: [] };
  for (const ref of refs) {
    const sandbox = sandboxes.get(ref.sandboxId);
    const dataset = datasets.get(refKey(ref));
    if (sandbox) plans.sandboxes[ref.sandboxId] = sandbox;
    if (dataset) plans.datasets.push(dataset);
  }
  return plans;
}
