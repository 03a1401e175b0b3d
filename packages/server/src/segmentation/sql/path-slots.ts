/**
 * The paths a job's audiences read from one kind of JSON document (a profile's attributes, an
 * event's body), each given a slot, and the SQL that reads any set of them with one parse of the
 * document: `json_extract(doc, [pointers])` once, then each slot's value as `jsonPath` would read
 * it from the document (the pointer's result, else the walk that projects over arrays). Shared by
 * event-fields.ts and profile-fields.ts.
 *
 * @example
 *   const slots = new PathSlots();
 *   slots.slotOf(['commerce', 'order', 'priceTotal']);  // 0
 *   slots.extract('body', [0]).column;  // "json_extract(body, ['/commerce/order/priceTotal']) AS pql_paths"
 */
import { jsonPath } from './lists.ts';
import { jsonPointer, sqlString } from './sql-text.ts';

export class PathSlots {
  private readonly slots = new Map<string, number>();
  private readonly list: (readonly string[])[] = [];

  /** @param open whether a path not seen yet gets a slot (while a job's audiences are read). */
  constructor(
    paths: readonly (readonly string[])[] = [],
    readonly open = true,
  ) {
    for (const path of paths) this.assign(path);
  }

  /** Every path with a slot, in slot order. */
  get paths(): readonly (readonly string[])[] {
    return this.list;
  }

  /** The slot of `fields`: a new one while open, undefined for an unseen path once closed. */
  slotOf(fields: readonly string[]): number | undefined {
    return this.slots.get(JSON.stringify(fields)) ?? (this.open ? this.assign(fields) : undefined);
  }

  /** The same paths, closed. */
  closed(): PathSlots {
    return new PathSlots(this.list, false);
  }

  /**
   * `column`: a select item `pql_paths` reading the pointers of `slots` from `doc` in one parse;
   * `values[i]`: the value of `slots[i]`, from `pql_paths` (with `doc` still in scope for the walk).
   */
  extract(doc: string, slots: readonly number[]): { column: string; values: string[] } {
    if (slots.length === 0) return { column: 'NULL AS pql_paths', values: [] };
    const pointers = slots.map((slot) => sqlString(jsonPointer(this.list[slot])));
    return {
      column: `json_extract(${doc}, [${pointers.join(', ')}]) AS pql_paths`,
      values: slots.map((slot, i) => jsonPath(doc, this.list[slot], true, `pql_paths[${i + 1}]`)),
    };
  }

  private assign(fields: readonly string[]): number {
    const slot = this.list.length;
    this.slots.set(JSON.stringify(fields), slot);
    this.list.push([...fields]);
    return slot;
  }
}
