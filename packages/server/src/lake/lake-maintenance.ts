/**
 * Removing data from the lake: a whole dataset, a whole sandbox, the rows past a dataset's
 * retention (whole day partitions dropped, the boundary day rewritten without its expired rows),
 * or given records (privacy deletion). The file catalog changes first; files go once no running
 * query can still read them.
 *
 * @example
 *   const removed = await maintenance.expire('sbx_1', 'ds_2', Date.now() - 30 * 86_400_000);
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { datasetDir, dayStart, partFilePath, sandboxDir, utcDay } from './lake-layout.ts';
import type { LakeFile, LakeStore } from './lake-store.ts';
import type { ParquetWriter } from './parquet-writer.ts';
import type { ReadGate } from './read-gate.ts';

interface RowRemoval {
  removed: LakeFile[];
  added: LakeFile[];
  rows: number;
}

export class LakeMaintenance {
  constructor(
    private readonly root: string,
    private readonly store: LakeStore,
    private readonly parquet: ParquetWriter,
    private readonly gate: ReadGate,
  ) {}

  async deleteDataset(sandboxId: string, datasetId: string): Promise<void> {
    await this.store.deleteDataset(sandboxId, datasetId);
    await this.gate.retire(join(this.root, datasetDir(sandboxId, datasetId)));
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    await this.store.deleteSandbox(sandboxId);
    await this.gate.retire(join(this.root, sandboxDir(sandboxId)));
  }

  /**
   * Drops the dataset's rows whose record time is before `beforeMs`; returns how many rows went.
   * Re-running with the same cutoff changes nothing (rewrites are named by the cutoff).
   */
  async expire(sandboxId: string, datasetId: string, beforeMs: number): Promise<number> {
    const cutoff = Math.trunc(beforeMs);
    const boundaryDay = utcDay(cutoff);
    const files = await this.store.files(sandboxId, datasetId);
    const wholeDays = files.filter((f) => f.day < boundaryDay);
    const boundary = dayStart(boundaryDay) === cutoff ? [] : files.filter((f) => f.day === boundaryDay);
    const change = await this.removeRows(boundary, () => `epoch_ms(_record_time) < ${cutoff}`, `x${cutoff}`);
    change.removed.push(...wholeDays);
    change.rows += wholeDays.reduce((n, f) => n + f.rowCount, 0);
    await this.apply(change);
    return change.rows;
  }

  /** Drops the rows with the given record-log `seq`s from the sandbox's files; returns how many went. */
  async deleteRecords(sandboxId: string, seqs: readonly number[]): Promise<number> {
    const sorted = [...new Set(seqs)].sort((a, b) => a - b);
    if (sorted.length === 0) return 0;
    const inFile = (f: LakeFile) => sorted.filter((seq) => seq >= f.firstSeq && seq <= f.lastSeq);
    const files = (await this.store.files(sandboxId)).filter((f) => inFile(f).length > 0);
    const revision = `d${randomBytes(4).toString('hex')}`;
    const change = await this.removeRows(files, (f) => `_seq IN (${inFile(f).join(', ')})`, revision);
    await this.apply(change);
    return change.rows;
  }

  /** Rewrites each file without the rows matching its condition (or drops it when none stay). */
  private async removeRows(files: readonly LakeFile[], conditionFor: (file: LakeFile) => string, revision: string): Promise<RowRemoval> {
    const change: RowRemoval = { removed: [], added: [], rows: 0 };
    for (const file of files) {
      const condition = conditionFor(file);
      const { matching, total } = await this.parquet.countRows(file.path, condition);
      if (matching === 0) continue;
      change.removed.push(file);
      change.rows += matching;
      if (matching === total) continue;
      const path = partFilePath(file.sandboxId, file.datasetId, file.day, file.firstSeq, revision);
      await this.parquet.copyWithout(file.path, path, condition);
      change.added.push({ ...file, path, rowCount: total - matching });
    }
    return change;
  }

  private async apply(change: RowRemoval): Promise<void> {
    if (change.removed.length === 0) return;
    await this.store.replaceFiles(
      change.removed.map((f) => f.path),
      change.added,
    );
    for (const file of change.removed) await this.gate.retire(join(this.root, file.path));
  }
}
