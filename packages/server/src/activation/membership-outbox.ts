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
 *   const outbox = new MembershipOutbox(db, activationStore, () => activations);
 *   sqlitePassWriter(db, { memberships, dueTimes, owners, alongside: outbox.alongside });
 *   new AudienceJobService({ memberships: outbox.jobStore(memberships), ... });
 *   streamingAudiences.onChange((sandboxId, changes) => outbox.announced(sandboxId, changes));
 */
import type { SqliteDatabase } from '../storage/sqlite.ts';
import type { PassAlongside } from '../segmentation/memberships/sqlite-pass-writer.ts';
import type { SqliteMembershipStore } from '../segmentation/memberships/sqlite-store.ts';
import type { Membership, MembershipStore } from '../segmentation/memberships/store.ts';
import { isEntryOrExit } from '../segmentation/memberships/transitions.ts';
import type { ActivationService, StreamingOutbox } from './service.ts';
import type { SqliteActivationStore } from './sqlite-store.ts';

export class MembershipOutbox {
  /** Changes whose outbox rows were written with them (the very objects the listeners are given). */
  private readonly queued = new WeakSet<Membership>();
  /** Rows written inside the transaction in progress, until it commits or fails. */
  private pending: { activations: ActivationService; outbox: StreamingOutbox } | undefined;

  constructor(
    private readonly db: SqliteDatabase,
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

  /** The membership store as audience jobs write it: each batch commits with its outbox rows. */
  jobStore(memberships: SqliteMembershipStore): MembershipStore {
    const commit = this.db.transaction((sandboxId: string, batch: readonly Membership[]) => {
      memberships.putNow(sandboxId, batch);
      this.write(sandboxId, batch.filter(isEntryOrExit));
    });
    return {
      get: (sandboxId, profileId, audienceId) => memberships.get(sandboxId, profileId, audienceId),
      forProfile: (sandboxId, profileId) => memberships.forProfile(sandboxId, profileId),
      forProfiles: (sandboxId, profileIds) => memberships.forProfiles(sandboxId, profileIds),
      members: (sandboxId, audienceId, options) => memberships.members(sandboxId, audienceId, options),
      byProfile: (sandboxId, options) => memberships.byProfile(sandboxId, options),
      put: async (sandboxId, batch) => {
        try {
          commit(sandboxId, batch);
        } catch (err) {
          this.settle(false);
          throw err;
        }
        this.settle(true);
      },
      deleteAudience: (sandboxId, audienceId) => memberships.deleteAudience(sandboxId, audienceId),
      deleteProfile: (sandboxId, profileId) => memberships.deleteProfile(sandboxId, profileId),
      deleteSandbox: (sandboxId) => memberships.deleteSandbox(sandboxId),
    };
  }

  /** Listener of announced changes: those written with their rows wake nothing more (that was done at commit); others are queued now. */
  announced(sandboxId: string, changes: readonly Membership[]): void {
    const rest = changes.filter((c) => !this.queued.has(c));
    if (rest.length > 0) this.activations()?.onMembershipChanges(sandboxId, rest);
  }

  /** Inside the caller's transaction: the changes' outbox rows and new runs. */
  private write(sandboxId: string, changes: readonly Membership[]): void {
    const activations = this.activations();
    if (!activations || changes.length === 0) return;
    const outbox = activations.streamingOutbox(sandboxId, changes);
    // No streaming activation takes them: announcing them will find none either.
    if (outbox.items.length === 0) return;
    for (const c of changes) this.queued.add(c);
    this.pending = { activations, outbox };
    for (const run of outbox.runs) this.store.createRunNow(run);
    this.store.enqueueNow(outbox.items);
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
