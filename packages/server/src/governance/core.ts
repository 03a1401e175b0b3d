/**
 * The core governance catalog shipped with Meridian, as in the commercial suite: contract (C),
 * identity (I) and sensitive (S) labels, the core marketing actions, and core policies derived
 * from the label definitions. Core policies ship DISABLED, as the suite's do; a sandbox enables
 * the ones it wants.
 */
import type { GovernanceLabel, MarketingAction, Policy } from './model.ts';

const contract = (name: string, friendlyName: string, description: string): GovernanceLabel => ({ name, friendlyName, description, category: 'contract', core: true });

export const CORE_LABELS: readonly GovernanceLabel[] = [
  contract('C1', 'No direct marketing export', 'Data can be exported only in aggregated form, without individual or device identifiers.'),
  contract('C2', 'No data export to third parties', 'Data cannot be exported to a third party.'),
  contract('C3', 'No combining with directly identifiable information', 'Data cannot be combined or used with directly identifiable information.'),
  contract('C4', 'No ad or content targeting', 'Data cannot be used for on-site or cross-site targeting of content or ads (includes C5, C6 and C7; the second most restrictive label).'),
  contract('C5', 'No interest-based cross-site targeting', 'Data cannot be used for interest-based, cross-site targeting of content or ads.'),
  contract('C6', 'No on-site ad targeting', 'Data cannot be used for on-site ad targeting.'),
  contract('C7', 'No on-site content targeting', 'Data cannot be used for on-site targeting of content.'),
  contract('C8', 'No measurement', 'Data cannot be used to measure the organization’s own sites or apps.'),
  contract('C9', 'No data science', 'Data cannot be used in data-science workflows.'),
  contract('C10', 'No stitched identity activation', 'Data cannot be activated through stitched identities (applies when a merge policy uses the identity graph).'),
  contract('C11', 'No Segment Match', 'Data cannot be shared through Segment Match.'),
  contract('C12', 'No data export', 'Data cannot be exported in any way: not by file download, API or activation.'),
  { name: 'I1', friendlyName: 'Directly identifiable data', description: 'Identifies or contacts a specific person rather than a device.', category: 'identity', core: true },
  { name: 'I2', friendlyName: 'Indirectly identifiable data', description: 'Can be combined with other data to identify or contact a specific person or device.', category: 'identity', core: true },
  { name: 'S1', friendlyName: 'Precise location', description: 'Latitude and longitude precise enough to locate a device.', category: 'sensitive', core: true },
  { name: 'S2', friendlyName: 'Broad geofence', description: 'Location that resolves to a broadly defined area.', category: 'sensitive', core: true },
];

const action = (name: string, friendlyName: string, description: string): MarketingAction => ({ name, friendlyName, description, core: true });

export const CORE_MARKETING_ACTIONS: readonly MarketingAction[] = [
  action('analytics', 'Analytics', 'Measuring and analysing the organization’s own sites and apps.'),
  action('combineData', 'Combine with directly identifiable data', 'Combining data with directly identifiable (I1) information.'),
  action('crossSiteTargeting', 'Cross Site Targeting', 'Targeting content or ads across sites and apps.'),
  action('dataScience', 'Data Science', 'Using data in data-science workflows such as model training.'),
  action('emailTargeting', 'Email Targeting', 'Sending marketing email to a person.'),
  action('exportToThirdParty', 'Export to Third Party', 'Sending data to a third party (destinations, partners).'),
  action('onsiteAdvertising', 'Onsite Advertising', 'Targeting ads on the organization’s own sites and apps.'),
  action('onsitePersonalization', 'Onsite Personalization', 'Personalizing content on the organization’s own sites and apps.'),
  action('segmentMatch', 'Segment Match', 'Sharing audiences with partners through Segment Match.'),
  action('singleIdentityPersonalization', 'Single Identity Personalization', 'Personalizing with the data of one identity, without the identity graph.'),
];

const policy = (id: string, name: string, marketingAction: string, labels: string[], description: string): Policy => ({
  id,
  name,
  description,
  marketingAction,
  deny: labels.length === 1 ? { label: labels[0] } : { operator: 'OR', operands: labels.map((label) => ({ label })) },
  status: 'DISABLED',
  core: true,
});

/** Each follows from a label's definition in §8.1 of the compatibility notes. */
export const CORE_POLICIES: readonly Policy[] = [
  policy('core-export-third-party', 'Restrict data export to third parties', 'exportToThirdParty', ['C1', 'C2', 'C12'], 'C1 allows only aggregated export, C2 forbids export to a third party, C12 forbids any export.'),
  policy('core-cross-site-targeting', 'Restrict cross-site targeting', 'crossSiteTargeting', ['C4', 'C5'], 'C4 forbids all ad and content targeting; C5 forbids interest-based cross-site targeting.'),
  policy('core-onsite-advertising', 'Restrict on-site advertising', 'onsiteAdvertising', ['C4', 'C6'], 'C4 forbids all ad and content targeting; C6 forbids on-site ad targeting.'),
  policy('core-onsite-personalization', 'Restrict on-site personalization', 'onsitePersonalization', ['C4', 'C7'], 'C4 forbids all ad and content targeting; C7 forbids on-site content targeting.'),
  policy('core-combine-identifiable', 'Restrict combining with directly identifiable data', 'combineData', ['C3'], 'C3 forbids combining with directly identifiable information.'),
  policy('core-measurement', 'Restrict measurement', 'analytics', ['C8'], 'C8 forbids measuring own sites and apps.'),
  policy('core-data-science', 'Restrict data science', 'dataScience', ['C9'], 'C9 forbids data-science workflows.'),
  policy('core-segment-match', 'Restrict Segment Match', 'segmentMatch', ['C11'], 'C11 forbids sharing through Segment Match.'),
  policy('core-email-export', 'Restrict email targeting with non-exportable data', 'emailTargeting', ['C12'], 'C12 forbids any export, and an email service receives the data.'),
];

export const CORE_LABEL_NAMES: ReadonlySet<string> = new Set(CORE_LABELS.map((l) => l.name));
export const CORE_ACTION_NAMES: ReadonlySet<string> = new Set(CORE_MARKETING_ACTIONS.map((a) => a.name));
