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
import { PQL_TABLES } from './input-layout.ts';
import { PathSlots } from './path-slots.ts';
import { TYPED_COLUMN } from './prelude.ts';
import { withLazySql, type SqlValue, type TypedReads } from './values.ts';

/** The table of extracted attributes, one row per row of `pql_profiles`; compiled audiences read it as `p`. */
export const PROFILE_FIELDS_TABLE = 'pql_profile_fields';

/** How a column reads the path's JSON value, the column `a<slot>`. */
const READS = { a: (json: string) => json, ...TYPED_COLUMN } as const;

type Read = keyof typeof READS;

export class ProfileFields {
  /** Columns asked for, by name (`s0`): what they read, of which slot. */
  private readonly columns: Map<string, { read: Read; slot: number }>;

  /**
   * @param keepsAttributes whether the table also holds the whole document (`attributes`).
   * @param slots the profile paths read; while open, a path or column not asked for yet is added
   *   (a job's audiences being read); closed, it is refused, since the table was built without it.
   */
  constructor(
    readonly keepsAttributes = true,
    private readonly slots = new PathSlots([], false),
    columns: ReadonlyMap<string, { read: Read; slot: number }> = new Map(),
  ) {
    this.columns = new Map(columns);
  }

  /** Fields of a job's audiences being read: every path and column they ask for is added. */
  static reading(): ProfileFields {
    return new ProfileFields(false, new PathSlots());
  }

  /**
   * `fields` of the profile: its JSON value and typed reads, each a column. Reading `sql` or a
   * typed read is what asks for the column, so a path compared only as a string costs one column.
   */
  value(fields: readonly string[]): SqlValue {
    const slot = this.slots.slotOf(fields);
    const column = (read: Read) => this.column(read, slot, fields);
    const typed: TypedReads = { str: () => column('s'), num: () => column('n'), bool: () => column('b'), time: () => column('t') };
    return withLazySql({ kind: 'json', typed }, () => column('a'));
  }

  /** The same columns, closed, with or without the document. */
  fixed(keepsAttributes: boolean): ProfileFields {
    return new ProfileFields(keepsAttributes, this.slots.closed(), this.columns);
  }

  /**
   * Builds `pql_profile_fields` from `pql_profiles`: the paths read in one parse of the document
   * (`PathSlots.extract`), each column computed from its path's JSON value exactly as an audience
   * would compute it from the document. With `keysTable` (profile_id, profile_key), each row
   * also carries its profile's key (a job's: jobs/profile-keys.ts).
   */
  tableSql(keysTable?: string): string {
    const used = [...new Set([...this.columns.values()].map((c) => c.slot))].sort((a, b) => a - b);
    const { column: extracted, values } = this.slots.extract('attributes', used);
    const named = values.map((value, i) => `${value} AS a${used[i]}`);
    const columns = [...this.columns].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, c]) => `${READS[c.read](`a${c.slot}`)} AS ${name}`);
    const key = keysTable ? ['profile_key'] : [];
    const keep = this.keepsAttributes ? ['attributes'] : [];
    const profiles = keysTable ? `${PQL_TABLES.profiles} JOIN ${keysTable} USING (profile_id)` : PQL_TABLES.profiles;
    return `CREATE OR REPLACE TABLE ${PROFILE_FIELDS_TABLE} AS
      SELECT ${['profile_id', ...key, ...keep, ...columns].join(', ')}
      FROM (SELECT ${['profile_id', ...key, 'attributes', ...named].join(', ')} FROM (SELECT ${['profile_id', ...key, 'attributes', extracted].join(', ')} FROM ${profiles}))`;
  }

  private column(read: Read, slot: number | undefined, fields: readonly string[]): string {
    const name = `${read}${slot}`;
    if (slot === undefined || (!this.columns.has(name) && !this.slots.open)) {
      throw new Error(`the profile fields were extracted without ${fields.join('.')} (${read})`);
    }
    this.columns.set(name, { read, slot });
    return `p.${name}`;
  }
}
