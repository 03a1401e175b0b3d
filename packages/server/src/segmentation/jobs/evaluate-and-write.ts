/**
 * The heart of a job once its inputs are ready: evaluate every audience (batch-evaluation.ts),
 * count the transitions, and write them through the membership store in large transactions,
 * giving the event loop a turn between them. The job service and `bench/pql-batch.ts` both run
 * exactly this.
 *
 * @example
 *   const result = await evaluateAndWrite(connection, memberships, sandboxId, audiences, { now, useInput: (p) => input.use(p) });
 *   result.counts;  // [{ audienceId, realized, existing, exited, total }, ...]
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { MembershipBatch } from '../memberships/membership-batch.ts';
import type { MembershipStore } from '../memberships/store.ts';
import type { InputFields } from '../sql/input-fields.ts';
import { countTransitions, evaluateLevels, keyHeldMemberships, streamTransitions, type BatchAudience } from './batch-evaluation.ts';
import { JobInterrupted } from './job-input.ts';
import type { AudienceJobCounts } from './model.ts';

/**
 * Membership rows per SQLite transaction: large enough to amortize the commit, small enough that
 * one transaction (synchronous, on the main thread) holds the event loop for well under 100 ms.
 */
export const WRITE_BATCH = 5_000;

/** Puts a job keeps outstanding (see `evaluateAndWrite`). */
const WRITES_IN_FLIGHT = 2;

export interface EvaluateAndWriteOptions {
  now: number;
  /** Makes the input tables hold a merge policy's profiles. */
  useInput: (policyId: string) => Promise<void>;
  /** More connections to the same DuckDB database, to run audiences side by side. */
  extraConnections?: readonly DuckDBConnection[];
  /** The fields the input was gathered with (sql/input-fields.ts). */
  fields?: InputFields;
  /** Membership rows per write transaction (default WRITE_BATCH). */
  writeBatch?: number;
  shouldStop?: () => boolean;
  /** Told of each batch once written (its entries and exits: `batch.changes()`). */
  onWritten?: (batch: MembershipBatch) => void;
}

export interface EvaluateAndWriteResult {
  counts: AudienceJobCounts[];
  /** Evaluation wall time, including any input materialized on the way (subtract it). */
  evaluateMs: number;
  writeMs: number;
  written: number;
}

export async function evaluateAndWrite(
  connection: DuckDBConnection,
  memberships: MembershipStore,
  sandboxId: string,
  audiences: readonly BatchAudience[],
  options: EvaluateAndWriteOptions,
): Promise<EvaluateAndWriteResult> {
  const evaluateStarted = performance.now();
  await evaluateLevels(connection, audiences, {
    now: options.now,
    useInput: options.useInput,
    ...(options.extraConnections ? { extraConnections: options.extraConnections } : {}),
    ...(options.fields ? { fields: options.fields } : {}),
  });
  await keyHeldMemberships(connection);
  const counts = await countTransitions(connection, audiences.map((a) => a.id));
  const writeStarted = performance.now();
  let written = 0;
  // Up to WRITES_IN_FLIGHT puts outstanding: with a store that writes on another thread, the next
  // batch is decoded while the last is written. Puts settle in order, so changes are announced in order.
  const inFlight: Promise<void>[] = [];
  try {
    for await (const batch of streamTransitions(connection, options.now, options.writeBatch ?? WRITE_BATCH)) {
      if (options.shouldStop?.()) throw new JobInterrupted();
      // Held as columns until committed: memberships are made only where they are needed
      // (membership-batch.ts).
      const put = memberships.putBatch(sandboxId, batch).then(() => {
        written += batch.length;
        options.onWritten?.(batch);
      });
      put.catch(() => undefined); // its failure is thrown where it is awaited, in order, below
      inFlight.push(put);
      if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
      await nextTurn();
    }
    while (inFlight.length > 0) await inFlight.shift();
  } finally {
    // Stopped or failed: the puts already made still settle before the job's state is recorded.
    await Promise.allSettled(inFlight);
  }
  return { counts, evaluateMs: writeStarted - evaluateStarted, writeMs: performance.now() - writeStarted, written };
}
