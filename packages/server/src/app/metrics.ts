/**
 * Prometheus metrics of the whole server, in one registry served at `GET /metrics`.
 * Domains receive only the collectors they update.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'meridian_' });
  const metrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: 'meridian_http_request_duration_seconds',
      help: 'HTTP request latency by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    recordsAccepted: new Counter({
      name: 'meridian_ingest_records_accepted_total',
      help: 'Records accepted into datasets',
      labelNames: ['sandbox', 'source'] as const,
      registers: [registry],
    }),
    recordsRejected: new Counter({
      name: 'meridian_ingest_records_rejected_total',
      help: 'Records rejected by validation',
      labelNames: ['sandbox', 'source'] as const,
      registers: [registry],
    }),
    recordsDuplicate: new Counter({
      name: 'meridian_ingest_records_duplicate_total',
      help: 'Records ignored because their _id was already ingested',
      labelNames: ['sandbox', 'source'] as const,
      registers: [registry],
    }),
    recordLogAppends: new Counter({
      name: 'meridian_record_log_appends_total',
      help: 'Groups of records committed to the record log, by where: on the event loop (direct) or by the log writer thread (thread); busy counts direct attempts that found the write lock taken',
      labelNames: ['where'] as const,
      registers: [registry],
    }),
    lakePendingRecords: new Gauge({
      name: 'meridian_lake_pending_records',
      help: 'Records in the record log not yet written to the lake (queue depth)',
      registers: [registry],
    }),
    lakeFlushDuration: new Histogram({
      name: 'meridian_lake_flush_duration_seconds',
      help: 'Time to move a slice of the record log into the lake',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchesActive: new Gauge({
      name: 'meridian_batches_active',
      help: 'Batch files being loaded or processed (queue depth)',
      registers: [registry],
    }),
    batchRows: new Counter({
      name: 'meridian_batch_rows_total',
      help: 'Rows read from batch files, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    queryDuration: new Histogram({
      name: 'meridian_query_duration_seconds',
      help: 'Query service latency',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    activationDelivered: new Counter({
      name: 'meridian_activation_delivered_total',
      help: 'Events (or exported rows) accepted by destinations',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    activationRetries: new Counter({
      name: 'meridian_activation_retries_total',
      help: 'Deliveries scheduled for another attempt after a retryable failure',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    activationDeadLetters: new Counter({
      name: 'meridian_activation_dead_letters_total',
      help: 'Deliveries that failed for good (permanent error or retries exhausted)',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    activationDeliveryDuration: new Histogram({
      name: 'meridian_activation_delivery_duration_seconds',
      help: 'Time a destination took to accept one call (event, batch or file export)',
      labelNames: ['type'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
