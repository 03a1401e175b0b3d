/**
 * A batch of a job's transitions held as columns (audience code, profile key, status code,
 * qualification time), its `Membership` objects made only when asked for. A job keeps each batch
 * until its write commits, to announce its entries and exits then; held as objects, millions of
 * memberships outlived young-generation collections and V8 at times began allocating them
 * straight into the old generation (allocation-site pretenuring): `pql-batch`'s main thread then
 * touched ~400 MB of fresh pages and its write phase took 6.1–6.4 s instead of 3.9–4.0 s, in
 * about half the runs. Made for the write, then again for the announcement, they die young.
 *
 * @example
 *   const batch = new TransitionBatch(audienceIds, profileIds, now);
 *   batch.push(0, 17, 0, now);
 *   await store.put(sandboxId, batch.memberships());
 *   listeners(batch.changes());  // entries and exits only
 */
import type { Membership, MembershipStatus } from '../memberships/store.ts';

/** Status codes of transitions: 0 realized (an entry), 1 existing, 2 exited. */
const STATUS_BY_CODE: readonly MembershipStatus[] = ['realized', 'existing', 'exited'];
const EXISTING = 1;

export class TransitionBatch {
  private audiences = new Int32Array(8_192);
  private profiles = new Int32Array(8_192);
  private statuses = new Uint8Array(8_192);
  private times = new Float64Array(8_192);
  length = 0;

  /**
   * @param audienceIds the job's audience ids by code
   * @param profileIds its profile ids by key
   * @param now the job's instant: every membership's `updatedAt`
   */
  constructor(
    private readonly audienceIds: readonly string[],
    private readonly profileIds: readonly string[],
    private readonly now: number,
  ) {}

  /** Adds one transition; a code or key the job did not give is refused. */
  push(audience: number, profile: number, status: number, time: number): void {
    if (this.audienceIds[audience] === undefined || this.profileIds[profile] === undefined || STATUS_BY_CODE[status] === undefined) {
      throw new Error('a transition names an audience, a profile or a status the job has no code for');
    }
    if (this.length === this.audiences.length) this.grow();
    const i = this.length++;
    this.audiences[i] = audience;
    this.profiles[i] = profile;
    this.statuses[i] = status;
    this.times[i] = time;
  }

  /** Every transition as a membership, in the order pushed. */
  memberships(): Membership[] {
    const out: Membership[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.membership(i);
    return out;
  }

  /** The entries and exits (what destinations hear about), in the order pushed. */
  changes(): Membership[] {
    const out: Membership[] = [];
    for (let i = 0; i < this.length; i++) if (this.statuses[i] !== EXISTING) out.push(this.membership(i));
    return out;
  }

  private membership(i: number): Membership {
    return {
      audienceId: this.audienceIds[this.audiences[i]],
      profileId: this.profileIds[this.profiles[i]],
      status: STATUS_BY_CODE[this.statuses[i]],
      lastQualificationTime: this.times[i],
      updatedAt: this.now,
    };
  }

  private grow(): void {
    const size = this.audiences.length * 2;
    const audiences = new Int32Array(size);
    const profiles = new Int32Array(size);
    const statuses = new Uint8Array(size);
    const times = new Float64Array(size);
    audiences.set(this.audiences);
    profiles.set(this.profiles);
    statuses.set(this.statuses);
    times.set(this.times);
    [this.audiences, this.profiles, this.statuses, this.times] = [audiences, profiles, statuses, times];
  }
}
