/**
 * The identity check run on every accepted record at ingestion: identity values that break their
 * namespace's rules are named in the response (the record and its other identities still count).
 */
import type { RecordWarningCheck } from '../ingest/service.ts';
import type { SchemaService } from '../schema/service.ts';
import { extractIdentities } from './extract.ts';
import type { IdentityService } from './service.ts';

export function identityWarningCheck(identity: IdentityService, schemas: SchemaService): RecordWarningCheck {
  return async (sandboxId, dataset) => {
    const resolve = await identity.resolver(sandboxId);
    const { doc } = await schemas.compile(sandboxId, dataset.schemaId);
    return (record) => extractIdentities(record, doc.identities, resolve).errors;
  };
}
