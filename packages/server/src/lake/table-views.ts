/**
 * The SQL view that makes one dataset a table: its Parquet files read by column name (older files
 * may lack fields added since), every column cast to the schema's current type, so all files and
 * an empty dataset look alike.
 *
 * @example
 *   await connection.run(createViewSql({ name: 'web_events', datasetId: 'ds_1', columns, files }));
 */
import type { LakeTable } from './lake.ts';
import { toSqlType } from './lake-types.ts';
import { quoteIdent, quoteLiteralList } from './sql.ts';

export function createViewSql(table: LakeTable): string {
  const view = quoteIdent(table.name);
  if (table.files.length === 0) {
    const nulls = table.columns.map((c) => `CAST(NULL AS ${toSqlType(c.type)}) AS ${quoteIdent(c.name)}`);
    return `CREATE VIEW ${view} AS SELECT ${nulls.join(', ')} WHERE false`;
  }
  const stored = new Set(table.files.flatMap((f) => f.columns));
  const projections = table.columns.map((c) => {
    const type = toSqlType(c.type);
    const source = stored.has(c.name) ? quoteIdent(c.name) : 'NULL';
    return `CAST(${source} AS ${type}) AS ${quoteIdent(c.name)}`;
  });
  const paths = quoteLiteralList(table.files.map((f) => f.path));
  return `CREATE VIEW ${view} AS SELECT ${projections.join(', ')} FROM read_parquet(${paths}, union_by_name = true)`;
}
