/** What the demo prints when it is loaded: where to go and what to try. */
import type { DemoSummary } from './load-demo.ts';

export function printDemoSummary(summary: DemoSummary, out: NodeJS.WritableStream = process.stdout): void {
  const lines = summary.loaded
    ? [
        `Demo loaded: ${summary.customers} customers (CRM, loyalty, store purchases, web visits), 4 audiences, 2 live activities.`,
        `Open the storefront: ${summary.storefrontUrl}`,
        'The home hero is an A/B test: a visitor sees the same hero on every reload.',
        'Browse the footwear category as an anonymous visitor: the promo banner changes on the same page.',
        summary.sampleMember
          ? `Then sign in as ${summary.sampleMember.email} (a ${summary.sampleMember.tier} member in the loyalty file): the banner becomes the members' offer.`
          : 'Then sign in with a customer email from the CRM file: loyalty data changes the offer.',
        `Watch the A/B report fill: GET /api/v1/activities/${summary.activities.hero}/report (docs/demo.md walks through it all)`,
      ]
    : [`Demo already loaded. Storefront: ${summary.storefrontUrl}`];
  out.write(`\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`);
}
