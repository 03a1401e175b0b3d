/**
 * Batch activation schedules on croner: hourly, every N hours, daily at a UTC time; `once` runs
 * at creation. A missed tick (server down) is not caught up; the next tick exports as usual.
 *
 * @example
 *   cronPattern({ type: 'batch', frequency: 'daily', at: '06:30' }); // '30 6 * * *'
 */
import { Cron } from 'croner';
import type { Schedule } from '../model.ts';

/** The cron pattern of a repeating batch schedule (undefined for streaming and once). */
export function cronPattern(schedule: Schedule): string | undefined {
  if (schedule.type !== 'batch' || schedule.frequency === 'once') return undefined;
  const [hour, minute] = (schedule.at ?? '00:00').split(':').map(Number);
  if (schedule.frequency === 'hourly') return `${minute} * * * *`;
  if (schedule.frequency === 'daily') return `${minute} ${hour} * * *`;
  const every = schedule.everyHours ?? 1;
  return `${minute} ${hour % every}/${every} * * *`;
}

export class BatchScheduler {
  private readonly jobs = new Map<string, { pattern: string; cron: Cron }>();

  constructor(private readonly fire: (activationId: string) => void) {}

  /** Starts, changes or stops the schedule of an activation. */
  sync(activationId: string, schedule: Schedule | undefined, enabled: boolean): void {
    const pattern = schedule && enabled ? cronPattern(schedule) : undefined;
    const current = this.jobs.get(activationId);
    if (current && current.pattern === pattern) return;
    current?.cron.stop();
    this.jobs.delete(activationId);
    if (pattern) this.jobs.set(activationId, { pattern, cron: new Cron(pattern, { timezone: 'UTC', protect: true }, () => this.fire(activationId)) });
  }

  nextRun(activationId: string): Date | undefined {
    return this.jobs.get(activationId)?.cron.nextRun() ?? undefined;
  }

  stopAll(): void {
    for (const { cron } of this.jobs.values()) cron.stop();
    this.jobs.clear();
  }
}
