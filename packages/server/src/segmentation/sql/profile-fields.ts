/**
 * The profile attributes a job's audiences read, extracted once per job into columns. By default
 * every audience reads each attribute path from the profile's JSON document (`json_extract` parses
 * the document, per path, per audience) and then types it (`pql_str`, `pql_num`... parse the value
 * again). A job knows its audiences: each path they read from the profile becomes a column of
 * `pql_profile_fields` holding the same JSON value (`a0`), and each way an audience reads it gets
 * its own typed column (`s0` = `pql_str(a0)`, `n0`, `b0`, `t0`), so an attribute filter is a scan
 * of a typed column. Columns exist only for the reads the audiences make; the document itself is
 * kept only when some audience uses the whole profile.
 *
 * @example
 *   const { profile } = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now })));  // input-fields.ts
 *   await connection.run(profile.tableSql());  // pql_profile_fields(profile_id, s0, n1, ...)
 */
import { jsonPath } from './lists.ts';
import { PQL_TABLES } from './input-layout.ts';
import { jsonPointer, sqlString } from './sql-text.ts';
import type { SqlValue, TypedReads } from './values.ts';

/** The table of extracted attributes, one row per row of `pql_profiles`; compiled audiences read it as `p`. */
export const PROFILE_FIELDS_TABLE = 'pql_profile_fields';

/** How a column reads the path's JSON value `a<slot>`. */
const READS = {
  a: (json: string) => json,
  s: (json: string) => `pql_str(${json})`,
  n: (json: string) => `pql_num(${json})`,
  b: (json: string) => `pql_bool(${json})`,
  t: (json: string) => `pql_time(${json})`,
} as const;

type Read = keyof typeof READS;

export class ProfileFields {
  private readonly slots = new Map<string, number>();
  private readonly paths: (readonly string[])[] = [];
  /** Columns asked for, as `<read><slot>` (`s0`). */
  private readonly columns = new Set<string>();

  /**
   * @param keepsAttributes whether the table also holds the whole document (`attributes`).
   * @param open whether a column not asked for yet may be added (while a job's audiences are read).
   */
  constructor(
    readonly keepsAttributes = true,
    private readonly open = true,
    paths: readonly (readonly string[])[] = [],
    columns: Iterable<string> = [],
  ) {
    for (const path of paths) this.slotOf(path);
    for (const column of columns) this.columns.add(column);
  }

  /**
   * `fields` of the profile: its JSON value and typed reads, each a column. Reading `sql` or a
   * typed read is what asks for the column, so a path compared only as a string costs one column.
   */
  value(fields: readonly string[]): SqlValue {
    const slot = this.slotOf(fields);
    const column = (read: Read) => this.column(read, slot, fields);
    const typed: TypedReads = { str: () => column('s'), num: () => column('n'), bool: () => column('b'), time: () => column('t') };
    return Object.defineProperty({ kind: 'json' as const, typed }, 'sql', { enumerable: true, get: () => column('a') }) as SqlValue;
  }

  /** The same columns, no longer open, with or without the document. */
  fixed(keepsAttributes: boolean): ProfileFields {
    return new ProfileFields(keepsAttributes, false, this.paths, this.columns);
  }

  /**
   * Builds `pql_profile_fields` from `pql_profiles`: every path read in one parse of the document
   * (`json_extract(attributes, [...])`), each column computed from its path's JSON value exactly as
   * an audience would compute it from the document.
   */
  tableSql(): string {
    const used = this.paths.map((_, slot) => slot).filter((slot) => [...this.columns].some((c) => c.slice(1) === String(slot)));
    const pointers = used.map((slot) => sqlString(jsonPointer(this.paths[slot])));
    const values = used.map((slot, i) => `${jsonPath('attributes', this.paths[slot], true, `pql_paths[${i + 1}]`)} AS a${slot}`);
    const columns = [...this.columns].sort().map((c) => `${READS[c[0] as Read](`a${c.slice(1)}`)} AS ${c}`);
    const keep = this.keepsAttributes ? ['attributes'] : [];
    const extracted = used.length === 0 ? '' : `, json_extract(attributes, [${pointers.join(', ')}]) AS pql_paths`;
    return `CREATE OR REPLACE TABLE ${PROFILE_FIELDS_TABLE} AS
      SELECT ${['profile_id', ...keep, ...columns].join(', ')}
      FROM (SELECT ${['profile_id', 'attributes', ...values].join(', ')} FROM (SELECT profile_id, attributes${extracted} FROM ${PQL_TABLES.profiles}))`;
  }

  private slotOf(fields: readonly string[]): number {
    const key = JSON.stringify(fields);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.paths.length;
      this.slots.set(key, slot);
      this.paths.push([...fields]);
    }
    return slot;
  }

  private column(read: Read, slot: number, fields: readonly string[]): string {
    const name = `${read}${slot}`;
    if (!this.columns.has(name)) {
      if (!this.open) throw new Error(`the profile fields were extracted without ${fields.join('.')} (${name})`);
      this.columns.add(name);
    }
    return `p.${name}`;
  }
}
