/**
 * Standard XDM-style field groups, ready to use. A schema = its class's base fields + the field
 * groups it names + its custom fields. Names and paths follow the commercial suite's XDM so that
 * PQL written there (`person.name.firstName`, `web.webPageDetails.name`) works here unchanged.
 */
import type { FieldDefinition, SchemaClass } from './model.ts';

const str = (extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ type: 'string', ...extra });
const num = (extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ type: 'number', ...extra });
const int = (extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ type: 'integer', ...extra });
const bool = (): FieldDefinition => ({ type: 'boolean' });
const dateTime = (): FieldDefinition => str({ format: 'date-time' });
const date = (): FieldDefinition => str({ format: 'date' });
const obj = (properties: Record<string, FieldDefinition>): FieldDefinition => ({ type: 'object', properties });
const arr = (items: FieldDefinition): FieldDefinition => ({ type: 'array', items });
/** Consent value: y(es), n(o), p(ending), u(nknown), dy (default yes), dn (default no), LI, CT, VI. */
const consentValue = (): FieldDefinition => obj({ val: str({ enum: ['y', 'n', 'p', 'u', 'dy', 'dn', 'LI', 'CT', 'VI'] }), time: dateTime() });
const measure = (): FieldDefinition => obj({ id: str(), value: num() });
const address = (): FieldDefinition =>
  obj({
    street1: str(), street2: str(), city: str(), postalCode: str(), stateProvince: str(),
    region: str(), country: str(), countryCode: str({ pattern: '^[A-Za-z]{2}$' }),
  });

/** `identityMap`: namespace code → identities, as the Edge Network and XDM carry them. */
export const identityMapField: FieldDefinition = {
  type: 'object',
  additionalProperties: arr(
    obj({
      id: str({ minLength: 1, maxLength: 1024 }),
      authenticatedState: str({ enum: ['ambiguous', 'authenticated', 'loggedOut'] }),
      primary: bool(),
    }),
  ),
};

export const CLASS_FIELDS: Record<SchemaClass, { fields: Record<string, FieldDefinition>; required: string[] }> = {
  profile: {
    fields: { _id: str({ minLength: 1, maxLength: 256 }), identityMap: identityMapField, timestamp: dateTime() },
    required: [],
  },
  event: {
    fields: {
      _id: str({ minLength: 1, maxLength: 256 }),
      timestamp: dateTime(),
      eventType: str({ maxLength: 256 }),
      identityMap: identityMapField,
    },
    required: ['timestamp'],
  },
};

export interface FieldGroup {
  name: string;
  title: string;
  class: SchemaClass;
  fields: Record<string, FieldDefinition>;
  /** Identities this group's fields usually carry, offered as defaults. */
  identities?: { path: string; namespace: string }[];
}

export const FIELD_GROUPS: readonly FieldGroup[] = [
  {
    name: 'person',
    title: 'Demographic details (name, birth date, gender)',
    class: 'profile',
    fields: {
      person: obj({
        name: obj({ firstName: str(), middleName: str(), lastName: str(), fullName: str(), courtesyTitle: str(), suffix: str() }),
        birthDate: date(),
        birthYear: int({ minimum: 1850, maximum: 2200 }),
        birthDayAndMonth: str({ pattern: '^\\d{2}-\\d{2}$' }),
        gender: str({ enum: ['male', 'female', 'non_specific', 'not_specified'] }),
        maritalStatus: str(),
        nationality: str(),
        language: str(),
      }),
    },
  },
  {
    name: 'contact',
    title: 'Personal contact details (email, phones, home address)',
    class: 'profile',
    fields: {
      personalEmail: obj({ address: str({ format: 'email' }), primary: bool(), status: str({ enum: ['active', 'incomplete', 'blacklisted', 'blocked'] }) }),
      mobilePhone: obj({ number: str({ maxLength: 32 }), primary: bool(), status: str() }),
      homePhone: obj({ number: str({ maxLength: 32 }), primary: bool(), status: str() }),
      homeAddress: address(),
    },
    identities: [
      { path: 'personalEmail.address', namespace: 'Email' },
      { path: 'mobilePhone.number', namespace: 'Phone' },
    ],
  },
  {
    name: 'consents',
    title: 'Consents and preferences',
    class: 'profile',
    fields: {
      consents: obj({
        collect: consentValue(),
        adID: consentValue(),
        share: consentValue(),
        personalize: obj({ content: consentValue() }),
        marketing: obj({
          preferred: str({ enum: ['email', 'push', 'inApp', 'sms', 'phone', 'phyMail', 'inVehicleMessages', 'inHome', 'iot', 'social', 'other', 'none', 'unknown'] }),
          any: consentValue(),
          email: consentValue(),
          sms: consentValue(),
          push: consentValue(),
          call: consentValue(),
          postalMail: consentValue(),
        }),
        idSpecific: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'object', additionalProperties: obj({ val: str() }) } } },
      }),
    },
  },
  {
    name: 'loyalty',
    title: 'Loyalty programme',
    class: 'profile',
    fields: {
      loyalty: obj({
        loyaltyID: str(), program: str(), tier: str(), status: str(),
        points: num(), pointsRedeemed: num(), lifetimePoints: num(), joinDate: dateTime(), tierExpiryDate: date(), lastActivityDate: dateTime(),
      }),
    },
  },
  {
    name: 'crm',
    title: 'CRM account',
    class: 'profile',
    fields: {
      crm: obj({
        crmId: str({ maxLength: 256 }), customerSince: date(), accountStatus: str(), segment: str(), lifetimeValue: num(),
        lastPurchaseDate: dateTime(), lastPurchaseStore: str(), preferredStore: str(), emailDeliverable: bool(),
      }),
    },
    identities: [{ path: 'crm.crmId', namespace: 'CRMID' }],
  },
  {
    name: 'web',
    title: 'Web details (page, referrer, interaction)',
    class: 'event',
    fields: {
      web: obj({
        webPageDetails: obj({
          name: str(), URL: str(), siteSection: str(), server: str(), viewName: str(), isHomePage: bool(),
          isErrorPage: bool(), pageViews: measure(),
        }),
        webReferrer: obj({ URL: str(), type: str() }),
        webInteraction: obj({ name: str(), type: str({ enum: ['download', 'exit', 'other'] }), URL: str(), linkClicks: measure() }),
      }),
    },
  },
  {
    name: 'commerce',
    title: 'Commerce details (order, product views, cart actions)',
    class: 'event',
    fields: {
      commerce: obj({
        order: obj({
          purchaseID: str(), purchaseOrderNumber: str(), priceTotal: num(), currencyCode: str({ pattern: '^[A-Z]{3}$' }),
          payments: arr(obj({ paymentType: str(), paymentAmount: num(), currencyCode: str(), transactionID: str() })),
        }),
        purchases: measure(), productViews: measure(), productListViews: measure(), productListAdds: measure(),
        productListRemovals: measure(), productListOpens: measure(), checkouts: measure(), saveForLaters: measure(),
      }),
    },
  },
  {
    name: 'productListItems',
    title: 'Product list items',
    class: 'event',
    fields: {
      productListItems: arr(
        obj({
          SKU: str(), name: str(), quantity: int({ minimum: 0 }), priceTotal: num(), currencyCode: str(), productAddMethod: str(),
          productCategories: arr(obj({ categoryID: str(), categoryName: str(), categoryPath: str() })),
        }),
      ),
    },
  },
  {
    name: 'environment',
    title: 'Environment (browser, operating system, connection)',
    class: 'event',
    fields: {
      environment: obj({
        type: str({ enum: ['browser', 'application', 'iot', 'external', 'widget'] }),
        browserDetails: obj({ name: str(), version: str(), vendor: str(), userAgent: str(), acceptLanguage: str(), viewportWidth: int(), viewportHeight: int() }),
        operatingSystem: str(), operatingSystemVersion: str(), operatingSystemVendor: str(),
        ipV4: str(), ipV6: str(), connectionType: str(), carrier: str(), language: str(),
      }),
    },
  },
  {
    name: 'device',
    title: 'Device',
    class: 'event',
    fields: {
      device: obj({
        type: str({ enum: ['mobile', 'tablet', 'desktop', 'ereader', 'gaming', 'television', 'settop', 'mediaplayer', 'computers', 'tv screens'] }),
        manufacturer: str(), model: str(), modelNumber: str(), screenHeight: int(), screenWidth: int(), screenOrientation: str({ enum: ['portrait', 'landscape'] }), colorDepth: int(),
      }),
    },
  },
  {
    name: 'placeContext',
    title: 'Place context (local time, geo)',
    class: 'event',
    fields: {
      placeContext: obj({
        localTime: dateTime(),
        localTimezoneOffset: int({ minimum: -900, maximum: 900 }),
        geo: obj({ city: str(), countryCode: str(), postalCode: str(), stateProvince: str(), latitude: num({ minimum: -90, maximum: 90 }), longitude: num({ minimum: -180, maximum: 180 }) }),
      }),
    },
  },
  {
    name: 'marketing',
    title: 'Marketing (campaign, tracking code)',
    class: 'event',
    fields: { marketing: obj({ trackingCode: str(), campaignID: str(), campaignGroupID: str(), campaignName: str(), channel: str() }) },
  },
  {
    name: 'directMarketing',
    title: 'Direct marketing (email/SMS deliveries, opens, clicks, bounces)',
    class: 'event',
    fields: {
      directMarketing: obj({
        deliveryID: str(), messageID: str(), channel: str(), status: str(), failureReason: str(), failureType: str(),
        sends: measure(), opens: measure(), clicks: measure(), bounces: measure(), unsubscriptions: measure(), trackingURL: str(),
      }),
    },
  },
];

export function fieldGroup(name: string): FieldGroup | undefined {
  return FIELD_GROUPS.find((g) => g.name === name);
}
