/**
 * The delivery engine: one `ActivationQueue` per activation, woken when its outbox gains items
 * and on a timer for retries; a token bucket per destination shared by its activations.
 *
 * @example
 *   const engine = new DeliveryEngine(deps);
 *   engine.wake(activationId);
 *   await engine.stop();
 */
import type { AnyDestinationDefinition } from '../destinations/registry.ts';
import type { StoredDestination } from '../store.ts';
import { ActivationQueue, type QueueDeps } from './queue.ts';
import { TokenBucket } from './rate-limiter.ts';

export type EngineDeps = Omit<QueueDeps, 'bucket'>;

export class DeliveryEngine {
  private readonly queues = new Map<string, ActivationQueue>();
  private readonly buckets = new Map<string, { perSecond: number; bucket: TokenBucket }>();
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {}

  /** Runs the activation's queue now. */
  wake(activationId: string): void {
    this.queue(activationId)?.wake();
  }

  /** `count` new streaming changes: the queue runs within the linger time, so later ones share the batch. */
  nudge(activationId: string, count: number): void {
    this.queue(activationId)?.nudge(count);
  }

  private queue(activationId: string): ActivationQueue | undefined {
    if (this.stopped) return undefined;
    let queue = this.queues.get(activationId);
    if (!queue) {
      queue = new ActivationQueue(activationId, { ...this.deps, bucket: (d, def) => this.bucket(d, def) });
      this.queues.set(activationId, queue);
    }
    return queue;
  }

  /** Stops an activation's queue (deleted or disabled); its outbox stays for later. */
  async forget(activationId: string): Promise<void> {
    const queue = this.queues.get(activationId);
    this.queues.delete(activationId);
    await queue?.stop();
  }

  /** Whether any queue is working right now. */
  busy(): boolean {
    return [...this.queues.values()].some((q) => q.busy);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.queues.values()].map((q) => q.stop()));
    this.queues.clear();
  }

  private bucket(destination: StoredDestination, definition: AnyDestinationDefinition): TokenBucket | undefined {
    const perSecond = definition.rateLimitPerSecond?.(destination.settings);
    if (!perSecond) {
      this.buckets.delete(destination.id);
      return undefined;
    }
    let entry = this.buckets.get(destination.id);
    if (!entry || entry.perSecond !== perSecond) this.buckets.set(destination.id, (entry = { perSecond, bucket: new TokenBucket(perSecond) }));
    return entry.bucket;
  }
}
