import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../storage/json.ts';
import { allows, consentPurposesFor, consentSummary, decideConsent, type ConsentPurpose } from './consent.ts';

const val = (v: string) => ({ val: v });
const profile = (attributes: JsonObject) => ({ attributes });

const cases: { name: string; attributes: JsonObject; purpose: ConsentPurpose; allowed: boolean; source: string }[] = [
  // explicit choices
  { name: 'email y allows email', attributes: { consents: { marketing: { email: val('y') } } }, purpose: 'email', allowed: true, source: 'consents.marketing.email.val' },
  { name: 'email n denies email', attributes: { consents: { marketing: { email: val('n') } } }, purpose: 'email', allowed: false, source: 'consents.marketing.email.val' },
  { name: 'email dn denies email', attributes: { consents: { marketing: { email: val('dn') } } }, purpose: 'email', allowed: false, source: 'consents.marketing.email.val' },
  { name: 'email dy allows email', attributes: { consents: { marketing: { email: val('dy') } } }, purpose: 'email', allowed: true, source: 'consents.marketing.email.val' },
  { name: 'email p (pending) denies email', attributes: { consents: { marketing: { email: val('p') } } }, purpose: 'email', allowed: false, source: 'consents.marketing.email.val' },
  { name: 'legitimate interest allows sms', attributes: { consents: { marketing: { sms: val('LI') } } }, purpose: 'sms', allowed: true, source: 'consents.marketing.sms.val' },
  // any vs channel
  { name: 'any n denies a channel that said y', attributes: { consents: { marketing: { any: val('n'), email: val('y') } } }, purpose: 'email', allowed: false, source: 'consents.marketing.any.val' },
  { name: 'any dn denies push', attributes: { consents: { marketing: { any: val('dn') } } }, purpose: 'push', allowed: false, source: 'consents.marketing.any.val' },
  { name: 'any y fills an unset channel', attributes: { consents: { marketing: { any: val('y') } } }, purpose: 'call', allowed: true, source: 'consents.marketing.any.val' },
  { name: 'a channel n wins over any y', attributes: { consents: { marketing: { any: val('y'), sms: val('n') } } }, purpose: 'sms', allowed: false, source: 'consents.marketing.sms.val' },
  { name: 'a channel u falls to any', attributes: { consents: { marketing: { any: val('n'), push: val('u') } } }, purpose: 'push', allowed: false, source: 'consents.marketing.any.val' },
  { name: 'any p with channel y: the channel decides', attributes: { consents: { marketing: { any: val('p'), email: val('y') } } }, purpose: 'email', allowed: true, source: 'consents.marketing.email.val' },
  { name: 'any p alone denies the channel', attributes: { consents: { marketing: { any: val('p') } } }, purpose: 'email', allowed: false, source: 'consents.marketing.any.val' },
  { name: 'marketing (any) reads consents.marketing.any', attributes: { consents: { marketing: { any: val('n') } } }, purpose: 'marketing', allowed: false, source: 'consents.marketing.any.val' },
  // other purposes
  { name: 'personalize n denies', attributes: { consents: { personalize: { content: val('n') } } }, purpose: 'personalize', allowed: false, source: 'consents.personalize.content.val' },
  { name: 'share y allows', attributes: { consents: { share: val('y') } }, purpose: 'share', allowed: true, source: 'consents.share.val' },
  { name: 'collect n denies', attributes: { consents: { collect: val('n') } }, purpose: 'collect', allowed: false, source: 'consents.collect.val' },
  // defaults when unset or unknown
  { name: 'unset email defaults to allowed', attributes: {}, purpose: 'email', allowed: true, source: 'default' },
  { name: 'u personalize defaults to allowed', attributes: { consents: { personalize: { content: val('u') } } }, purpose: 'personalize', allowed: true, source: 'default' },
  { name: 'unset collect defaults to allowed', attributes: {}, purpose: 'collect', allowed: true, source: 'default' },
  { name: 'unset share defaults to denied', attributes: {}, purpose: 'share', allowed: false, source: 'default' },
  { name: 'u share defaults to denied', attributes: { consents: { share: val('u') } }, purpose: 'share', allowed: false, source: 'default' },
  { name: 'an unrecognised value falls to the default', attributes: { consents: { marketing: { email: val('maybe') } } }, purpose: 'email', allowed: true, source: 'default' },
  // general and legacy opt-outs
  {
    name: 'a general opt-out denies even an explicit yes',
    attributes: { consents: { personalize: { content: val('y') } }, privacyOptOuts: [{ optOutType: 'general_opt_out', optOutValue: 'out' }] },
    purpose: 'personalize',
    allowed: false,
    source: 'privacyOptOuts[general_opt_out]',
  },
  { name: 'optInOut.globalOptout denies collection', attributes: { optInOut: { globalOptout: true } }, purpose: 'collect', allowed: false, source: 'optInOut.globalOptout' },
  { name: 'general opt-out "in" changes nothing', attributes: { privacyOptOuts: [{ optOutType: 'general_opt_out', optOutValue: 'in' }] }, purpose: 'email', allowed: true, source: 'default' },
  {
    name: 'a sale/sharing opt-out denies sharing',
    attributes: { consents: { share: val('y') }, privacyOptOuts: [{ optOutType: 'sales_sharing_opt_out', optOutValue: 'out' }] },
    purpose: 'share',
    allowed: false,
    source: 'privacyOptOuts[sales_sharing_opt_out]',
  },
  { name: 'legacy optInOut email out denies email', attributes: { optInOut: { 'https://ns.adobe.com/xdm/channels/email': 'out' } }, purpose: 'email', allowed: false, source: 'optInOut[https://ns.adobe.com/xdm/channels/email]' },
];

for (const c of cases) {
  test(`consent: ${c.name}`, () => {
    const decision = decideConsent(profile(c.attributes), c.purpose);
    assert.equal(decision.allowed, c.allowed, decision.reason);
    assert.equal(decision.source, c.source);
    assert.equal(decision.purpose, c.purpose);
    assert.ok(decision.reason.length > 0);
    assert.equal(allows(profile(c.attributes), c.purpose), c.allowed);
  });
}

test('defaults can be made stricter by the caller', () => {
  assert.equal(allows(profile({}), 'email', { defaults: { email: false } }), false);
  assert.equal(allows(profile({ consents: { marketing: { email: val('y') } } }), 'email', { defaults: { email: false } }), true, 'an explicit yes is not a default');
});

test('the summary lists every purpose, the preferred channel and the general opt-out', () => {
  const summary = consentSummary(profile({ consents: { marketing: { preferred: 'sms', email: val('n') } } }));
  assert.equal(summary.preferredChannel, 'sms');
  assert.equal(summary.generalOptOut, false);
  assert.deepEqual(summary.decisions.map((d) => d.purpose), ['collect', 'personalize', 'share', 'marketing', 'email', 'sms', 'push', 'call']);
  assert.equal(summary.decisions.find((d) => d.purpose === 'email')?.allowed, false);
});

test('marketing actions map to the consent purposes an activation must check', () => {
  assert.deepEqual(consentPurposesFor('emailTargeting'), ['email']);
  assert.deepEqual(consentPurposesFor('exportToThirdParty'), ['share']);
  assert.deepEqual(consentPurposesFor('onsitePersonalization'), ['personalize']);
  assert.deepEqual(consentPurposesFor('myCustomAction'), []);
});
