import { openSqlite } from '../storage/sqlite.ts';
import { SqliteProfileStore } from './sqlite-store.ts';
import { runProfileStoreConformance } from './store.conformance.ts';

runProfileStoreConformance('embedded profile store', async () => new SqliteProfileStore(openSqlite(':memory:')));
