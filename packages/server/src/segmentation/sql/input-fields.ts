/**
 * What a set of audiences reads of the job's input, found by compiling each once: the fields of
 * events (event-fields.ts) and of profiles (profile-fields.ts). A job gathers its input with them
 * and compiles its audiences against them; audiences the SQL engine cannot translate are left out
 * (a job skips them).
 *
 * @example
 *   const fields = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now })));
 *   await gatherEventLists(connection, fields.events);
 *   await connection.run(fields.profile.tableSql());
 *   compileToSql(ast, { now, fields });  // reads p.s0 and the events' f0, not the documents
 */
import type { Expr } from '../pql/ast.ts';
import { compileToSql } from './compile.ts';
import { PqlSqlCompileError } from './errors.ts';
import { EventFields } from './event-fields.ts';
import { ProfileFields } from './profile-fields.ts';

export interface InputFields {
  events: EventFields;
  profile: ProfileFields;
}

/** One query the input must serve, compiled as it will be run. */
export interface InputQuery {
  ast: Expr;
  now: number;
  mode?: 'audience' | 'value';
}

export function inputFieldsFor(queries: readonly InputQuery[]): InputFields {
  const reading: InputFields = { events: EventFields.reading(), profile: ProfileFields.reading() };
  let keepsBody = false;
  let keepsAttributes = false;
  for (const { ast, now, mode } of queries) {
    try {
      const { sql } = compileToSql(ast, { now, fields: reading, ...(mode ? { mode } : {}) });
      // Every use of a whole event or profile in compiled SQL is `<event>.body` or `p.attributes`;
      // a text that merely looks like one (a string literal) keeps it too: slower, never wrong.
      if (/\.body\b/.test(sql)) keepsBody = true;
      if (/\bp\.attributes\b/.test(sql)) keepsAttributes = true;
    } catch (err) {
      if (!(err instanceof PqlSqlCompileError)) throw err;
    }
  }
  return { events: reading.events.fixed(keepsBody), profile: reading.profile.fixed(keepsAttributes) };
}
