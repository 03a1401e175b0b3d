/**
 * The transactional outbox of the embedded storage: entries and exits reach the activation outbox
 * in the very transaction that commits them to the membership store, so a crash keeps both or
 * neither. Announced after their commit, as before, they were lost when the process died in
 * between (entries were found again at the next start by each activation's `recover` job; exits
 * were not). Streaming passes write their rows through `alongside` (the pass writer's hook);
 * audience jobs through `jobStore`, a membership store whose `put` commits a batch with its rows.
 * Changes announced afterwards only wake the activations' queues; changes that did not come this
 * way (written before the activation service was wired) are queued by `announced` on their own.
 *
 * @example
 *   const outbox = new MembershipOutbox(activationStore, () => activations);
 *   sqlitePassWriter(db, { memberships, dueTimes, owners, alongside: outbox.alongside });
 *   new AudienceJobService({ memberships: outbox.jobStore(memberships), ... });
 *   streamingAudiences.onChange((sandboxId, changes) => outbox.announced(sandboxId, changes));
 *   audienceJobs.onChange(() => outbox.jobAnnounced());
 */
import type { PassAlongside } from '../segmentation/memberships/sqlite-pass-writer.ts';
import type { SqliteMembershipStore } from '../segmentation/memberships/sqlite-store.ts';
import type { Membership, MembershipStore } from '../segmentation/memberships/store.ts';
import { isEntryOrExit } from '../segmentation/memberships/transitions.ts';
import type { ActivationService, StreamingOutbox } from './service.ts';
import type { SqliteActivationStore } from './sqlite-store.ts';
import { siblingModule } from '../ingest/batch/worker-spawn.ts';

/** The outbox rows of a batch's changes: new runs and queue items (plain data, sent to the bulk writer's thread). */
export interface OutboxRows {
  runs: StreamingOutbox['runs'];
  items: StreamingOutbox['items'];
}

/** The bulk writer's thread module that writes a job's outbox rows with its batches (`BulkWriterData.module`). */
export const OUTBOX_WRITER_MODULE = siblingModule(import.meta.url, 'outbox-writer-worker').href;

export class MembershipOutbox {
  /** Changes whose outbox rows were written with them (the very objects the listeners are given). */
  private readonly queued = new WeakSet<Membership>();
  /** Job changes written while no activation service was wired, queued at a job's next announcement. */
  private readonly unwiredJobChanges: { sandboxId: string; changes: Membership[] }[] = [];
  /** Rows written inside the transaction in progress, until it commits or fails. */
  private pending: { activations: ActivationService; outbox: StreamingOutbox } | undefined;

  constructor(
    private readonly store: SqliteActivationStore,
    /** The activation service, once it exists (the membership writers are built before it). */
    private readonly activations: () => ActivationService | undefined,
  ) {}

  /** For the streaming pass writer: `write` runs inside the pass's transaction. */
  readonly alongside: PassAlongside = {
    write: (sandboxId, changes) => this.write(sandboxId, changes),
    committed: () => this.settle(true),
    failed: () => this.settle(false),
  };

  /**
   * The membership store as audience jobs write it: each batch commits with its outbox rows, on
   * the bulk writer's thread for a large batch (its module, `OUTBOX_WRITER_MODULE`, writes the
   * rows computed here), else on this thread.
   */
  jobStore(memberships: SqliteMembershipStore): MembershipStore {
    return {
      get: (sandboxId, profileId, audienceId) => memberships.get(sandboxId, profileId, audienceId),
      forProfile: (sandboxId, profileId) => memberships.forProfile(sandboxId, profileId),
      forProfiles: (sandboxId, profileIds) => memberships.forProfiles(sandboxId, profileIds),
      members: (sandboxId, audienceId, options) => memberships.members(sandboxId, audienceId, options),
      byProfile: (sandboxId, options) => memberships.byProfile(sandboxId, options),
      entryRows: (sandboxId, options) => memberships.entryRows(sandboxId, options),
      put: (sandboxId, batch) => this.putWith(sandboxId, batch.filter(isEntryOrExit), (along, inline) => memberships.putAlong(sandboxId, batch, along, inline)),
      // Only the changes a streaming activation takes are made into objects (a job's first run
      // enters millions of people, most often into audiences no streaming activation reads).
      putBatch: (sandboxId, batch) => {
        const activations = this.activations();
        const changes = activations ? batch.changes((audienceId) => activations.streams(sandboxId, audienceId)) : batch.changes();
        return this.putWith(sandboxId, changes, (along, inline) => memberships.putBatch(sandboxId, batch, along, inline));
      },
      deleteAudience: (sandboxId, audienceId) => memberships.deleteAudience(sandboxId, audienceId),
      deleteProfile: (sandboxId, profileId) => memberships.deleteProfile(sandboxId, profileId),
      deleteSandbox: (sandboxId) => memberships.deleteSandbox(sandboxId),
    };
  }

  /**
   * Writes a job's batch (`write`) with the outbox rows of its changes. Not an async function: a
   * suspended one keeps its arguments, and a batch held until its commit survives collections (V8
   * may then pretenure memberships).
   */
  private putWith(sandboxId: string, changes: Membership[], write: (along: OutboxRows | undefined, inline: () => void) => Promise<void>): Promise<void> {
    // Kept past the write only when no activation service is wired yet.
    const unwired = this.activations() === undefined && changes.length > 0 ? changes : undefined;
    const prepared = this.prepare(sandboxId, changes);
    return write(prepared?.rows, () => prepared && this.writeRows(prepared.rows)).then(
      () => {
        if (prepared) prepared.activations.queued(prepared.outbox);
        else if (unwired) this.unwiredJobChanges.push({ sandboxId, changes: unwired });
      },
      (err: unknown) => {
        prepared?.activations.forgetRuns(prepared.outbox);
        throw err;
      },
    );
  }

  /**
   * Listener of an audience job's announcements. Every change of a job is written through
   * `jobStore`, with its outbox rows when a streaming activation takes it, so the announced
   * changes themselves (made afresh for the listeners, not the objects written) need nothing more;
   * only changes written before the activation service was wired are queued now.
   */
  jobAnnounced(): void {
    const activations = this.activations();
    if (!activations) return;
    for (const { sandboxId, changes } of this.unwiredJobChanges.splice(0)) activations.onMembershipChanges(sandboxId, changes);
  }

  /** Listener of announced changes: those written with their rows wake nothing more (that was done at commit); others are queued now. */
  announced(sandboxId: string, changes: readonly Membership[]): void {
    const rest = changes.filter((c) => !this.queued.has(c));
    if (rest.length > 0) this.activations()?.onMembershipChanges(sandboxId, rest);
  }

  /** Inside the caller's transaction: the changes' outbox rows and new runs. */
  private write(sandboxId: string, changes: readonly Membership[]): void {
    const prepared = this.prepare(sandboxId, changes);
    if (!prepared) return;
    for (const c of changes) this.queued.add(c);
    this.pending = prepared;
    this.writeRows(prepared.rows);
  }

  /** The outbox rows of the changes: none when no streaming activation takes them. */
  private prepare(sandboxId: string, changes: readonly Membership[]): { activations: ActivationService; outbox: StreamingOutbox; rows: OutboxRows } | undefined {
    const activations = this.activations();
    if (!activations || changes.length === 0) return undefined;
    const outbox = activations.streamingOutbox(sandboxId, changes);
    // No streaming activation takes them: announcing them will find none either.
    if (outbox.items.length === 0) return undefined;
    return { activations, outbox, rows: { runs: outbox.runs, items: outbox.items } };
  }

  private writeRows(rows: OutboxRows): void {
    for (const run of rows.runs) this.store.createRunNow(run);
    this.store.enqueueNow(rows.items);
  }

  /** The transaction is over: committed rows wake their queues; rolled-back runs are forgotten (the next change starts a new one). */
  private settle(committed: boolean): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    if (committed) pending.activations.queued(pending.outbox);
    else pending.activations.forgetRuns(pending.outbox);
  }
}
