/** Storage interface of batch segmentation jobs, schedules and size history; the embedded implementation is `sqlite-store.ts`. */
import type { AudienceJob, DailySize, JobStatus, SizePoint } from './model.ts';

export interface StoredSchedule {
  cron: string;
  enabled: boolean;
}

export interface JobStore {
  put(sandboxId: string, job: AudienceJob): Promise<void>;
  get(sandboxId: string, id: string): Promise<AudienceJob | undefined>;
  /** Newest first, before the job `beforeId` (cursor). */
  list(sandboxId: string, options: { limit: number; beforeId?: string }): Promise<AudienceJob[]>;
  /** Jobs of any sandbox in these states (recovery after a restart). */
  withStatus(statuses: readonly JobStatus[]): Promise<{ sandboxId: string; job: AudienceJob }[]>;

  schedule(sandboxId: string): Promise<StoredSchedule | undefined>;
  putSchedule(sandboxId: string, schedule: StoredSchedule): Promise<void>;
  schedules(): Promise<{ sandboxId: string; schedule: StoredSchedule }[]>;

  addSizes(sandboxId: string, jobId: string, at: number, sizes: readonly { audienceId: string; size: number; realized: number; exited: number }[]): Promise<void>;
  sizeHistory(sandboxId: string, audienceId: string, options: { limit: number }): Promise<SizePoint[]>;
  dailySizes(sandboxId: string, audienceId: string, options: { limit: number }): Promise<DailySize[]>;

  deleteAudience(sandboxId: string, audienceId: string): Promise<void>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
