/**
 * One checked Segment message → one XDM record for the source's event or profile dataset.
 * - track/page/screen/group → ExperienceEvent (`_id` = messageId, so a retried message is a duplicate);
 * - identify/alias → profile record (traits on XDM profile fields, the rest in `_meridian.segment.traits`);
 * - identities: `userId` → CRMID (authenticated, primary), `anonymousId` → ECID when it is a
 *   38-digit ECID, else the custom namespace `segment_anonymous_id`; alias adds `previousId` the same way.
 *
 * @example
 *   mapMessage({ type: 'page', name: 'Home', userId: 'u1', messageId: 'm1', timestamp: '2026-11-01T10:00:00.000Z', … })
 *   // { target: 'event', record: { _id: 'm1', eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { name: 'Home', … } }, … } }
 */
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { mapContext } from './context.ts';
import type { SegmentMessage } from './message.ts';
import { ANONYMOUS_NAMESPACE, USER_NAMESPACE } from './schemas.ts';
import { integer, number, object, put, text, textMap } from './xdm-values.ts';

export interface MappedRecord {
  target: 'event' | 'profile';
  record: JsonObject;
}

/** Segment e-commerce spec events with an XDM eventType and commerce measure. */
const COMMERCE_EVENTS: Record<string, { eventType: string; measure: string }> = {
  'Product Viewed': { eventType: 'commerce.productViews', measure: 'productViews' },
  'Product List Viewed': { eventType: 'commerce.productListViews', measure: 'productListViews' },
  'Cart Viewed': { eventType: 'commerce.productListViews', measure: 'productListViews' },
  'Product Added': { eventType: 'commerce.productListAdds', measure: 'productListAdds' },
  'Product Removed': { eventType: 'commerce.productListRemovals', measure: 'productListRemovals' },
  'Product Added to Wishlist': { eventType: 'commerce.saveForLaters', measure: 'saveForLaters' },
  'Checkout Started': { eventType: 'commerce.checkouts', measure: 'checkouts' },
  'Order Completed': { eventType: 'commerce.purchases', measure: 'purchases' },
};

export const TRACK_EVENT_TYPE = 'segment.track';
export const GROUP_EVENT_TYPE = 'segment.group';
export const PAGE_EVENT_TYPE = 'web.webpagedetails.pageViews';

const ECID_SHAPE = /^[0-9]{38}$/;

/** The namespace an anonymous id belongs to: ECID when it has an ECID's shape. */
export function anonymousNamespaceOf(id: string): string {
  return ECID_SHAPE.test(id) ? 'ECID' : ANONYMOUS_NAMESPACE;
}

function identityMap(message: SegmentMessage, extra?: string): JsonObject {
  const map: Record<string, JsonValue[]> = {};
  const add = (namespace: string, id: string, item: JsonObject) => {
    const list = (map[namespace] ??= []);
    if (!list.some((i) => (i as JsonObject).id === id)) list.push({ id, ...item });
  };
  if (message.userId) add(USER_NAMESPACE, message.userId, { authenticatedState: 'authenticated', primary: true });
  if (message.anonymousId) add(anonymousNamespaceOf(message.anonymousId), message.anonymousId, { authenticatedState: 'ambiguous', ...(message.userId ? {} : { primary: true }) });
  if (extra) add(anonymousNamespaceOf(extra), extra, { authenticatedState: 'ambiguous' });
  return map;
}

function library(context: JsonObject): JsonObject | undefined {
  const lib = object(context.library);
  const name = text(lib.name, 200);
  const version = text(lib.version, 100);
  return name || version ? { ...(name ? { name } : {}), ...(version ? { version } : {}) } : undefined;
}

function productItem(product: JsonObject, currency: string | undefined): JsonObject | undefined {
  const sku = text(product.sku) ?? text(product.product_id) ?? text(product.productId);
  const name = text(product.name);
  if (!sku && !name) return undefined;
  const quantity = integer(product.quantity);
  const price = number(product.price);
  const item: JsonObject = {};
  put(item, 'SKU', sku);
  put(item, 'name', name);
  put(item, 'quantity', quantity !== undefined && quantity >= 0 ? quantity : undefined);
  put(item, 'priceTotal', price !== undefined ? price * (quantity !== undefined && quantity >= 0 ? quantity : 1) : undefined);
  put(item, 'currencyCode', currency);
  const category = text(product.category);
  if (category) item.productCategories = [{ categoryName: category }];
  return item;
}

function mapCommerce(record: JsonObject, event: string, properties: JsonObject): string | undefined {
  const spec = COMMERCE_EVENTS[event];
  if (!spec) return undefined;
  put(record, `commerce.${spec.measure}.value`, 1);
  const currencyText = text(properties.currency)?.toUpperCase();
  const currency = currencyText && /^[A-Z]{3}$/.test(currencyText) ? currencyText : undefined;
  if (spec.measure === 'purchases' || spec.measure === 'checkouts') {
    put(record, 'commerce.order.purchaseID', text(properties.order_id) ?? text(properties.checkout_id));
    put(record, 'commerce.order.priceTotal', number(properties.revenue) ?? number(properties.total) ?? number(properties.value));
    put(record, 'commerce.order.currencyCode', currency);
  }
  const products = Array.isArray(properties.products) ? properties.products : [properties];
  const items = products.flatMap((p) => {
    const item = productItem(object(p), currency);
    return item ? [item] : [];
  });
  if (items.length > 0) record.productListItems = items;
  return spec.eventType;
}

function mapEvent(message: SegmentMessage): JsonObject {
  const record: JsonObject = { _id: message.messageId, timestamp: message.timestamp };
  const segment: JsonObject = { type: message.type };
  const { properties } = message;
  mapContext(record, message.context);
  let eventType: string;
  switch (message.type) {
    case 'page':
    case 'screen': {
      eventType = PAGE_EVENT_TYPE;
      const name = message.name ?? text(properties.name) ?? text(properties.title);
      put(record, 'web.webPageDetails.name', name);
      if (message.type === 'screen') {
        put(record, 'web.webPageDetails.viewName', name);
        put(record, 'environment.type', 'application');
      }
      put(record, 'web.webPageDetails.URL', text(properties.url, 4096));
      put(record, 'web.webPageDetails.siteSection', message.category ?? text(properties.category));
      put(record, 'web.webReferrer.URL', text(properties.referrer, 4096));
      put(record, 'web.webPageDetails.pageViews.value', 1);
      break;
    }
    case 'track':
      eventType = mapCommerce(record, message.event ?? '', properties) ?? TRACK_EVENT_TYPE;
      break;
    default:
      eventType = GROUP_EVENT_TYPE;
      break;
  }
  record.eventType = eventType;
  record.identityMap = identityMap(message);
  put(segment, 'event', message.event);
  put(segment, 'name', message.name);
  put(segment, 'category', message.category);
  put(segment, 'userId', message.userId);
  put(segment, 'anonymousId', message.anonymousId);
  put(segment, 'groupId', message.groupId);
  put(segment, 'messageId', message.messageId);
  put(segment, 'channel', message.channel);
  put(segment, 'properties', textMap(properties));
  if (message.type === 'group') put(segment, 'traits', textMap(message.traits));
  put(segment, 'context', textMap(message.context, ['traits']));
  put(segment, 'library', library(message.context));
  put(segment, 'receivedAt', message.receivedAt);
  put(segment, 'sentAt', message.sentAt);
  record._meridian = { segment };
  return record;
}

const GENDERS: Record<string, string> = { male: 'male', m: 'male', female: 'female', f: 'female', non_specific: 'non_specific', other: 'non_specific', not_specified: 'not_specified' };
const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** identify traits → XDM profile fields; returns the trait names it used. */
function mapTraits(record: JsonObject, traits: JsonObject): Set<string> {
  const used = new Set<string>();
  const take = (path: string, value: JsonValue | undefined, ...names: string[]) => {
    if (value === undefined) return;
    put(record, path, value);
    for (const n of names) used.add(n);
  };
  const email = text(traits.email, 320);
  if (email && PLAUSIBLE_EMAIL.test(email)) take('personalEmail.address', email, 'email');
  const phone = text(traits.phone, 32);
  take('mobilePhone.number', phone, 'phone');
  take('person.name.firstName', text(traits.firstName) ?? text(traits.first_name), 'firstName', 'first_name');
  take('person.name.lastName', text(traits.lastName) ?? text(traits.last_name), 'lastName', 'last_name');
  take('person.name.fullName', text(traits.name), 'name');
  const birthday = text(traits.birthday, 64)?.slice(0, 10);
  if (birthday && /^\d{4}-\d{2}-\d{2}$/.test(birthday) && !Number.isNaN(Date.parse(birthday))) take('person.birthDate', birthday, 'birthday');
  const gender = GENDERS[text(traits.gender, 32)?.toLowerCase() ?? ''];
  take('person.gender', gender, 'gender');
  const address = object(traits.address);
  const before = JSON.stringify(record.homeAddress ?? null);
  put(record, 'homeAddress.street1', text(address.street));
  put(record, 'homeAddress.city', text(address.city));
  put(record, 'homeAddress.stateProvince', text(address.state));
  put(record, 'homeAddress.postalCode', text(address.postalCode) ?? text(address.postal_code));
  const country = text(address.country, 100);
  put(record, 'homeAddress.country', country);
  if (country && /^[A-Za-z]{2}$/.test(country)) put(record, 'homeAddress.countryCode', country.toUpperCase());
  if (JSON.stringify(record.homeAddress ?? null) !== before) used.add('address');
  return used;
}

function mapProfile(message: SegmentMessage): JsonObject {
  const record: JsonObject = { _id: message.messageId, timestamp: message.timestamp };
  const segment: JsonObject = { type: message.type };
  if (message.type === 'identify') {
    const used = mapTraits(record, message.traits);
    put(segment, 'traits', textMap(message.traits, [...used]));
  }
  record.identityMap = identityMap(message, message.type === 'alias' ? message.previousId : undefined);
  put(segment, 'userId', message.userId);
  put(segment, 'anonymousId', message.anonymousId);
  put(segment, 'previousId', message.previousId);
  put(segment, 'messageId', message.messageId);
  put(segment, 'library', library(message.context));
  record._meridian = { segment };
  return record;
}

export function mapMessage(message: SegmentMessage): MappedRecord {
  if (message.type === 'identify' || message.type === 'alias') return { target: 'profile', record: mapProfile(message) };
  return { target: 'event', record: mapEvent(message) };
}
