/**
 * The bulk writer's thread for memberships alone (bulk-writer-thread.ts); the platform's runs
 * `activation/outbox-writer-worker.ts`, which also writes a job's outbox rows with its batches.
 */
import { serveBulkWrites } from './bulk-writer-thread.ts';

serveBulkWrites();
