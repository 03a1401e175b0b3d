/**
 * Export file names as the suite makes them: a template of `%TOKEN%`s (default
 * `%DESTINATION%_segment%SEGMENT_ID%_%DATETIME%`, the legacy default), the format's extension, and
 * `_2`, `_3`… for the parts of an audience split at the row limit. Pure.
 *
 * @example
 *   exportFileName(DEFAULT_FILE_NAME, { destination: 'SFMC', segmentId: 'a1', ... }, 'csv', false, 1)
 *   // 'SFMC_segmenta1_20200408061804.csv'
 */

export const DEFAULT_FILE_NAME = '%DESTINATION%_segment%SEGMENT_ID%_%DATETIME%';
export const FILE_NAME_TOKENS = ['DESTINATION', 'SEGMENT_ID', 'SEGMENT_NAME', 'DESTINATION_INSTANCE_ID', 'SANDBOX_NAME', 'DATETIME'] as const;

export interface NameParts {
  destination: string;
  destinationId: string;
  segmentId: string;
  segmentName: string;
  sandboxName: string;
  at: Date;
}

/** `yyyymmddhhmmss` in UTC. */
export function compactDateTime(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Tokens in a template that are not known (reported as a settings problem). */
export function unknownTokens(template: string): string[] {
  return [...template.matchAll(/%([A-Z_]+)%/g)].map((m) => m[1]).filter((t) => !(FILE_NAME_TOKENS as readonly string[]).includes(t));
}

export function exportFileName(template: string, parts: NameParts, extension: string, part: number): string {
  const values: Record<(typeof FILE_NAME_TOKENS)[number], string> = {
    DESTINATION: parts.destination,
    SEGMENT_ID: parts.segmentId,
    SEGMENT_NAME: parts.segmentName,
    DESTINATION_INSTANCE_ID: parts.destinationId,
    SANDBOX_NAME: parts.sandboxName,
    DATETIME: compactDateTime(parts.at),
  };
  const base = safe(template.replace(/%([A-Z_]+)%/g, (whole, token: string) => (token in values ? values[token as keyof typeof values] : whole)));
  return `${base}${part > 1 ? `_${part}` : ''}.${extension}`;
}
