/**
 * A batch job's memberships as columns (audience code, profile key, status code, qualification
 * time), made into `Membership` objects only when asked for. A job keeps each batch until its
 * write commits, to announce its entries and exits then; held as objects, millions of memberships
 * outlived young-generation collections and V8 at times began allocating them straight into the
 * old generation (allocation-site pretenuring): `pql-batch`'s main thread then touched ~400 MB of
 * fresh pages and its write phase took 6.1–6.4 s instead of 3.9–4.0 s, in about half the runs.
 *
 * The store builds a batch's rows from its columns (`columns()`), and listeners ask for the changes
 * of the audiences they care about (`changes(of)`): a job's first run enters millions of people,
 * and neither needs an object per membership.
 *
 * @example
 *   const batch = new MembershipBatch(audienceIds, profileIds, now);
 *   batch.push(0, 17, 0, now);
 *   await store.putBatch(sandboxId, batch);
 *   listeners(batch.changes());  // entries and exits only
 */
import type { Membership, MembershipStatus } from './store.ts';

/** Status codes of a batch: 0 realized (an entry), 1 existing, 2 exited. */
export const STATUS_BY_CODE: readonly MembershipStatus[] = ['realized', 'existing', 'exited'];
const EXISTING = 1;

/**
 * A batch as plain columns: row `i` is audience `audienceIds[audiences[i]]`, profile
 * `profileIds[profiles[i]]` (ids by code and by key), status code `statuses[i]`, qualification
 * time `times[i]`; every entry updated at `now`.
 */
export interface MembershipColumns {
  audienceIds: readonly string[];
  profileIds: readonly string[];
  audiences: Int32Array;
  profiles: Int32Array;
  statuses: Uint8Array;
  times: Float64Array;
  now: number;
}

export class MembershipBatch {
  private audiences = new Int32Array(8_192);
  private profiles = new Int32Array(8_192);
  private statuses = new Uint8Array(8_192);
  private times = new Float64Array(8_192);
  length = 0;

  /**
   * @param audienceIds the audience ids by code
   * @param profileIds the profile ids by key
   * @param now the instant of the batch: every membership's `updatedAt`
   */
  constructor(
    private readonly audienceIds: readonly string[],
    private readonly profileIds: readonly string[],
    readonly now: number,
  ) {}

  /** Adds one membership; a code or key the batch was not given is refused. */
  push(audience: number, profile: number, status: number, time: number): void {
    if (this.audienceIds[audience] === undefined || this.profileIds[profile] === undefined || STATUS_BY_CODE[status] === undefined) {
      throw new Error('a membership names an audience, a profile or a status the batch has no code for');
    }
    if (this.length === this.audiences.length) this.grow();
    const i = this.length++;
    this.audiences[i] = audience;
    this.profiles[i] = profile;
    this.statuses[i] = status;
    this.times[i] = time;
  }

  /** Every membership, in the order pushed. */
  memberships(): Membership[] {
    const out: Membership[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.membership(i);
    return out;
  }

  /**
   * The entries and exits (what destinations hear about), in the order pushed; with `of`, only
   * those of the audiences it keeps (asked once per audience).
   */
  changes(of?: (audienceId: string) => boolean): Membership[] {
    const kept = this.audienceIds.map((id) => of?.(id) ?? true);
    const out: Membership[] = [];
    for (let i = 0; i < this.length; i++) if (this.statuses[i] !== EXISTING && kept[this.audiences[i]]) out.push(this.membership(i));
    return out;
  }

  /** The batch as columns: views of its arrays (read them before the next push). */
  columns(): MembershipColumns {
    const n = this.length;
    return {
      audienceIds: this.audienceIds,
      profileIds: this.profileIds,
      audiences: this.audiences.subarray(0, n),
      profiles: this.profiles.subarray(0, n),
      statuses: this.statuses.subarray(0, n),
      times: this.times.subarray(0, n),
      now: this.now,
    };
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
