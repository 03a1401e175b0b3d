/**
 * A stored audience for tests of the services that read audiences (streaming, hand-over), built
 * from PQL text and classified as the audience service classifies it.
 *
 * @example
 *   audienceFixture('gold', 'loyalty.tier = "gold"', { mergePolicyId: 'mp1' });
 */
import { analyze, classifyEvaluation, parseOrThrow } from '../pql/index.ts';
import type { Audience } from './model.ts';

export function audienceFixture(id: string, text: string, overrides: Partial<Audience> = {}): Audience {
  return {
    id,
    name: id,
    expression: { type: 'PQL', format: 'pql/text', value: text },
    evaluationInfo: { batch: { enabled: false }, continuous: { enabled: true }, synchronous: { enabled: false } },
    classification: classifyEvaluation(analyze(parseOrThrow(text))),
    mergePolicyId: 'default',
    ttlInDays: 30,
    schema: { name: '_xdm.context.profile' },
    profileInstanceId: 'ups',
    dependencies: [],
    sandbox: { sandboxId: 's1', sandboxName: 'prod' },
    creationTime: 0,
    updateTime: 0,
    updateEpoch: 0,
    ...overrides,
  };
}
