/**
 * Messages between a benchmark and the server it runs in a child process (over the fork IPC
 * channel): the child says where it listens, and reports its memory and CPU use when asked.
 */

export interface ProcessUsage {
  rssBytes: number;
  /** Highest resident set size since the process started (getrusage maxrss). */
  maxRssBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

export type ChildMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'usage' } & ProcessUsage)
  | { type: 'failed'; message: string }
  /** The webhook receiver's answer: each ECID and when it first arrived (`monotonicMs`). */
  | { type: 'arrivals'; arrivals: [string, number][]; requests: number };

export type ParentMessage = { type: 'usage' } | { type: 'arrivals' };

/** Milliseconds on the monotonic clock, the same in every process of the machine (unlike `performance.now()`). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function currentUsage(): ProcessUsage {
  const usage = process.resourceUsage();
  return {
    rssBytes: process.memoryUsage.rss(),
    maxRssBytes: usage.maxRSS * 1024,
    cpuUserMicros: usage.userCPUTime,
    cpuSystemMicros: usage.systemCPUTime,
  };
}

/** Child side: answers usage requests (and the requests in `answers`), stops on SIGTERM or when the parent goes away. */
export function serveParent(
  ready: { url: string },
  stop: () => Promise<void>,
  answers: Partial<Record<Exclude<ParentMessage['type'], 'usage'>, () => ChildMessage>> = {},
): void {
  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'usage') send({ type: 'usage', ...currentUsage() });
    else {
      const answer = answers[message.type];
      if (answer) send(answer());
    }
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  send({ type: 'ready', url: ready.url });
}

export function reportFailure(error: unknown): never {
  process.send?.({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildMessage);
  process.exit(1);
}
