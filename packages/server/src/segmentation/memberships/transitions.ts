/**
 * Membership status rules, as the suite defines them: entering an audience is `realized`, staying
 * in it `existing`, leaving it `exited` (with the last qualification time kept). Pure.
 *
 * @example
 *   nextMembership(undefined, true, 1000, 'p1', 'a1'); // { status: 'realized', lastQualificationTime: 1000, ... }
 */
import type { Membership } from './store.ts';

/** The membership after an evaluation, or undefined when nothing changes. */
export function nextMembership(current: Membership | undefined, qualifies: boolean, at: number, profileId: string, audienceId: string): Membership | undefined {
  if (qualifies) {
    if (!current || current.status === 'exited') return { profileId, audienceId, status: 'realized', lastQualificationTime: at, updatedAt: at };
    if (current.status === 'realized') return { ...current, status: 'existing', updatedAt: at };
    return undefined;
  }
  if (current && current.status !== 'exited') return { ...current, status: 'exited', updatedAt: at };
  return undefined;
}

/** Whether a change is one destinations hear about: someone entered or left. */
export function isEntryOrExit(change: Membership): boolean {
  return change.status === 'realized' || change.status === 'exited';
}
