import { openSqlite } from '../storage/sqlite.ts';
import { SqliteIdentityStore } from './sqlite-store.ts';
import { runIdentityStoreConformance } from './store.conformance.ts';

runIdentityStoreConformance('embedded identity store', async () => new SqliteIdentityStore(openSqlite(':memory:')));
