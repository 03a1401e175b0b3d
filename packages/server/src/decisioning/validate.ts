/**
 * Checks what the API schema cannot: traffic splits that add up, one control, offers and audiences
 * that exist, regular expressions that compile, known time zones. Every problem is named by its
 * dot path, so a 422 says exactly which field to fix.
 *
 * @example
 *   validateActivity(input, { offerExists: (id) => ids.has(id), audienceExists: () => true }); // FieldError[]
 */
import type { FieldError } from '../errors.ts';
import { isKnownTimezone } from './conditions.ts';
import type { ActivityInput, Condition, OfferInput } from './model.ts';

export interface References {
  offerExists(id: string): boolean;
  audienceExists(id: string): boolean;
}

function regexError(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}

function validateCondition(condition: Condition, path: string, refs: References, errors: FieldError[]): void {
  switch (condition.type) {
    case 'all':
    case 'any':
      condition.conditions.forEach((c, i) => validateCondition(c, `${path}.conditions[${i}]`, refs, errors));
      return;
    case 'not':
      validateCondition(condition.condition, `${path}.condition`, refs, errors);
      return;
    case 'audience':
      if (!refs.audienceExists(condition.audienceId)) errors.push({ path: `${path}.audienceId`, message: `no audience "${condition.audienceId}" in this sandbox` });
      return;
    case 'url':
    case 'referrer':
    case 'queryParam':
    case 'param': {
      if (condition.operator !== 'exists' && condition.value === undefined) errors.push({ path: `${path}.value`, message: `is required for operator "${condition.operator}"` });
      if (condition.operator === 'regex' && condition.value !== undefined) {
        const problem = regexError(condition.value);
        if (problem) errors.push({ path: `${path}.value`, message: problem });
      }
      return;
    }
    case 'timeOfDay':
    case 'dayOfWeek':
      if (condition.timezone !== undefined && !isKnownTimezone(condition.timezone)) errors.push({ path: `${path}.timezone`, message: `"${condition.timezone}" is not a known IANA time zone` });
      return;
    case 'profile':
      if (condition.operator !== 'exists' && condition.value === undefined) errors.push({ path: `${path}.value`, message: `is required for operator "${condition.operator}"` });
      if (condition.operator === 'in' && !Array.isArray(condition.value)) errors.push({ path: `${path}.value`, message: 'must be an array for operator "in"' });
      if (['gt', 'gte', 'lt', 'lte'].includes(condition.operator) && typeof condition.value !== 'number' && typeof condition.value !== 'string') {
        errors.push({ path: `${path}.value`, message: `must be a number or a string for operator "${condition.operator}"` });
      }
      return;
    case 'deviceType':
    case 'browser':
    case 'os':
    case 'geo':
      return;
  }
}

export function validateActivity(input: ActivityInput, refs: References): FieldError[] {
  const errors: FieldError[] = [];
  const scopes = input.location.scopes ?? [];
  const urls = input.location.urls ?? [];
  if (scopes.length === 0 && urls.length === 0) errors.push({ path: 'location', message: 'needs at least one scope or URL rule' });
  urls.forEach((rule, i) => {
    if (rule.operator === 'regex') {
      const problem = regexError(rule.value);
      if (problem) errors.push({ path: `location.urls[${i}].value`, message: problem });
    }
  });
  if (input.startsAt && input.endsAt && Date.parse(input.endsAt) <= Date.parse(input.startsAt)) {
    errors.push({ path: 'endsAt', message: 'must be after startsAt' });
  }
  if (input.audience) validateCondition(input.audience, 'audience', refs, errors);

  const seen = new Set<string>();
  input.experiences.forEach((experience, i) => {
    const at = `experiences[${i}]`;
    if (seen.has(experience.id)) errors.push({ path: `${at}.id`, message: `experience id "${experience.id}" is used twice` });
    seen.add(experience.id);
    experience.offerIds.forEach((offerId, j) => {
      if (!refs.offerExists(offerId)) errors.push({ path: `${at}.offerIds[${j}]`, message: `no offer "${offerId}" in this sandbox` });
    });
    if (experience.audience) {
      if (input.type !== 'xt') errors.push({ path: `${at}.audience`, message: 'only experience targeting (xt) activities choose experiences by audience; use the activity audience' });
      else validateCondition(experience.audience, `${at}.audience`, refs, errors);
    }
    if (experience.traffic !== undefined && input.type !== 'ab') {
      errors.push({ path: `${at}.traffic`, message: input.type === 'xt' ? 'experience targeting assigns by audience, not by traffic' : 'the auto-allocate bandit sets the traffic' });
    }
  });

  const controls = input.experiences.filter((e) => e.control).length;
  if (input.type === 'ab') {
    if (input.experiences.length < 2) errors.push({ path: 'experiences', message: 'an A/B test needs at least two experiences' });
    if (controls !== 1) errors.push({ path: 'experiences', message: `an A/B test needs exactly one control experience, found ${controls}` });
    input.experiences.forEach((e, i) => {
      if (e.traffic === undefined) errors.push({ path: `experiences[${i}].traffic`, message: 'is required in an A/B test' });
    });
    const total = input.experiences.reduce((sum, e) => sum + (e.traffic ?? 0), 0);
    if (input.experiences.every((e) => e.traffic !== undefined) && Math.abs(total - 100) > 1e-6) {
      errors.push({ path: 'experiences', message: `traffic must add up to 100, it adds up to ${total}` });
    }
  } else if (controls > 1) {
    errors.push({ path: 'experiences', message: `at most one control experience, found ${controls}` });
  }
  if (input.type === 'auto-allocate' && input.experiences.length < 2) errors.push({ path: 'experiences', message: 'auto-allocate needs at least two experiences' });
  if (input.autoAllocate && input.type !== 'auto-allocate') errors.push({ path: 'autoAllocate', message: 'applies to auto-allocate activities only' });

  if (input.fallbackExperienceId !== undefined) {
    if (input.type !== 'xt') errors.push({ path: 'fallbackExperienceId', message: 'applies to experience targeting (xt) activities only' });
    else if (!seen.has(input.fallbackExperienceId)) errors.push({ path: 'fallbackExperienceId', message: `names no experience of this activity ("${input.fallbackExperienceId}")` });
  }
  if (input.type === 'xt') {
    input.experiences.forEach((e, i) => {
      if (!e.audience && e.id !== input.fallbackExperienceId) errors.push({ path: `experiences[${i}].audience`, message: 'is required in experience targeting (except for the fallback experience)' });
    });
  }
  return errors;
}

const NEEDS_CONTENT = new Set(['setHtml', 'setText', 'setAttribute', 'setStyle', 'insertBefore', 'insertAfter', 'appendHtml', 'redirect']);

function absoluteUrlError(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? undefined : 'must be an http or https URL';
  } catch {
    return 'must be an absolute URL';
  }
}

export function validateOffer(input: OfferInput): FieldError[] {
  const errors: FieldError[] = [];
  const content = input.content;
  if (content.type === 'redirect') {
    const problem = absoluteUrlError(content.url);
    if (problem) errors.push({ path: 'content.url', message: problem });
  }
  if (content.type === 'dom-actions') {
    content.actions.forEach((action, i) => {
      const at = `content.actions[${i}]`;
      if (NEEDS_CONTENT.has(action.type) && action.content === undefined) errors.push({ path: `${at}.content`, message: `is required for "${action.type}"` });
      if ((action.type === 'setAttribute' || action.type === 'setStyle') && !action.name) errors.push({ path: `${at}.name`, message: `is required for "${action.type}" (the ${action.type === 'setStyle' ? 'CSS property' : 'attribute'})` });
      if (action.type === 'redirect' && action.content !== undefined) {
        const problem = absoluteUrlError(action.content);
        if (problem) errors.push({ path: `${at}.content`, message: problem });
      }
    });
  }
  return errors;
}
