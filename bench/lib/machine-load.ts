/**
 * How busy the whole machine was during a measurement (Linux `/proc/stat`), so a benchmark can
 * say when other processes competed for the cores and its figures are not to be trusted.
 *
 * @example
 *   const before = readMachineBusy();
 *   // ... measure ...
 *   machineCores(before, readMachineBusy()); // cores busy on the whole machine, e.g. 1.96
 */
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface MachineBusy {
  busyTicks: number;
  at: number;
}

export function readMachineBusy(): MachineBusy | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [, ...fields] = line.trim().split(/\s+/);
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields.map(Number);
    return { busyTicks: user + nice + system + irq + softirq + steal, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Cores kept busy on the whole machine between two readings (NaN where /proc/stat is absent). */
export function machineCores(before: MachineBusy | undefined, after: MachineBusy | undefined): number {
  if (!before || !after) return Number.NaN;
  return (after.busyTicks - before.busyTicks) / TICKS_PER_SECOND / ((after.at - before.at) / 1000);
}
