/**
 * Destination settings: validated against the type's schema plus its own checks (every problem
 * named as `settings.<path>`), secrets hidden on the way out and kept when sent back hidden. Pure.
 */
import { Value } from '@sinclair/typebox/value';
import { problem, type FieldError } from '../errors.ts';
import type { AnyDestinationDefinition } from './destinations/registry.ts';

export const HIDDEN = '********';

function pointerPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

/** Throws INVALID_DESTINATION_SETTINGS naming each bad field. */
export function checkSettings(definition: AnyDestinationDefinition, settings: Record<string, unknown>): void {
  const errors: FieldError[] = [];
  for (const e of Value.Errors(definition.settings, settings)) {
    const path = pointerPath(e.path);
    if (!errors.some((x) => x.path === `settings${path ? `.${path}` : ''}`)) errors.push({ path: `settings${path ? `.${path}` : ''}`, message: e.message });
  }
  if (errors.length === 0) for (const issue of definition.validate?.(settings) ?? []) errors.push({ path: `settings.${issue.path}`, message: issue.message });
  if (errors.length > 0) {
    throw problem('INVALID_DESTINATION_SETTINGS', `${definition.type} settings: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors });
  }
}

function get(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function set(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object') return;
    cur = next as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

/** A copy with every secret replaced by `********`. */
export function redactSettings(definition: AnyDestinationDefinition | undefined, settings: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(settings);
  for (const path of definition?.secrets ?? []) if (get(copy, path) !== undefined) set(copy, path, HIDDEN);
  return copy;
}

/** New settings where a secret sent back as `********` keeps its stored value. */
export function keepHiddenSecrets(definition: AnyDestinationDefinition, next: Record<string, unknown>, previous: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(next);
  for (const path of definition.secrets) if (get(copy, path) === HIDDEN) set(copy, path, get(previous, path));
  return copy;
}
