/**
 * Group commit for the record log: appends from requests that arrive in the same turn of the
 * event loop are written in one transaction, and each request is answered only after that
 * commit. Many small requests then cost one commit instead of one each, with no loss of
 * durability: nothing is acknowledged before it is committed.
 *
 * @example
 *   const log = new GroupCommit(records);
 *   const { seqs } = await log.append(validRecords, rejections); // resolves after the shared commit
 */
import type { AppendResult, NewRecord, NewRejection, RecordAppender } from './record-store.ts';

interface Waiter {
  offset: number;
  count: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface Group {
  records: NewRecord[];
  rejections: NewRejection[];
  waiters: Waiter[];
  committed: boolean;
}

export class GroupCommit {
  private open?: Group;

  constructor(
    private readonly store: RecordAppender,
    /** Most records one commit takes; a full group is written at once. */
    private readonly maxRecords = 10_000,
  ) {}

  append(records: readonly NewRecord[], rejections: readonly NewRejection[] = []): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      if (!this.open) {
        const group: Group = { records: [], rejections: [], waiters: [], committed: false };
        this.open = group;
        setImmediate(() => this.commit(group));
      }
      const group = this.open;
      group.waiters.push({ offset: group.records.length, count: records.length, resolve, reject });
      group.records.push(...records);
      group.rejections.push(...rejections);
      if (group.records.length >= this.maxRecords) this.commit(group);
    });
  }

  private commit(group: Group) {
    if (group.committed) return;
    group.committed = true;
    if (this.open === group) this.open = undefined;
    this.store.append(group.records, group.rejections).then(
      (result) => {
        for (const w of group.waiters) {
          const seqs = result.seqs.slice(w.offset, w.offset + w.count);
          const duplicateIndexes: number[] = [];
          seqs.forEach((seq, i) => seq === undefined && duplicateIndexes.push(i));
          w.resolve({ inserted: seqs.length - duplicateIndexes.length, duplicateIndexes, seqs });
        }
      },
      (error: unknown) => {
        for (const w of group.waiters) w.reject(error);
      },
    );
  }
}
