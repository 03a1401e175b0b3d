/**
 * The standalone build's entry (`dist/meridian.js`): replaces the install snippet's
 * `window.meridian` queue with the SDK and replays the commands queued before it loaded.
 *
 * @example
 *   meridian('configure', { configId: '…' });
 *   meridian('sendEvent', { xdm: { eventType: 'commerce.productViews' } }).then(({ propositions }) => …);
 */
import { createMeridian } from './sdk.ts';

type Queued = [(value: unknown) => void, (reason: unknown) => void, ArrayLike<unknown>];
type CommandFunction = ((name: string, options?: unknown) => Promise<unknown>) & { q?: Queued[] };

const host = window as unknown as { meridian?: CommandFunction };
const queued = host.meridian?.q ?? [];
const script = document.currentScript as HTMLScriptElement | null;
const instance = createMeridian({ scriptUrl: script?.src });
const run: CommandFunction = (name, options) => {
  try {
    return instance.command(name, options);
  } catch (error) {
    return Promise.reject(error);
  }
};
host.meridian = run;
for (const [resolve, reject, args] of queued) run(args[0] as string, args[1]).then(resolve, reject);
