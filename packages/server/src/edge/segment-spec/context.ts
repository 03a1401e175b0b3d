/**
 * Segment `context` → XDM ExperienceEvent fields (environment, device, web, placeContext,
 * marketing). A value is mapped only when it fits the XDM field's type and enum; everything the
 * context held (but `context.traits`, which can carry personal data) is also kept as text in
 * `_meridian.segment.context`.
 */
import type { JsonObject } from '../../storage/json.ts';
import { integer, number, object, put, text } from './xdm-values.ts';

const DEVICE_TYPES = ['mobile', 'tablet', 'desktop', 'ereader', 'gaming', 'television', 'settop', 'mediaplayer', 'computers', 'tv screens'];

export function mapContext(record: JsonObject, context: JsonObject): void {
  const app = object(context.app);
  const device = object(context.device);
  const os = object(context.os);
  const screen = object(context.screen);
  const page = object(context.page);
  const location = object(context.location);
  const campaign = object(context.campaign);
  const network = object(context.network);

  const userAgent = text(context.userAgent, 2000);
  const environmentType = Object.keys(app).length > 0 ? 'application' : userAgent || Object.keys(page).length > 0 ? 'browser' : undefined;
  put(record, 'environment.type', environmentType);
  put(record, 'environment.browserDetails.userAgent', userAgent);
  put(record, 'environment.language', text(context.locale, 100));
  put(record, 'environment.operatingSystem', text(os.name, 100));
  put(record, 'environment.operatingSystemVersion', text(os.version, 100));
  put(record, 'environment.carrier', text(network.carrier, 100));
  put(record, 'environment.connectionType', network.wifi === true ? 'wifi' : network.cellular === true ? 'cellular' : undefined);
  const ip = text(context.ip, 64);
  if (ip) put(record, ip.includes(':') ? 'environment.ipV6' : 'environment.ipV4', ip);

  const deviceType = text(device.type, 50)?.toLowerCase();
  put(record, 'device.type', deviceType && DEVICE_TYPES.includes(deviceType) ? deviceType : undefined);
  put(record, 'device.manufacturer', text(device.manufacturer, 200));
  put(record, 'device.model', text(device.model, 200));
  put(record, 'device.screenWidth', integer(screen.width));
  put(record, 'device.screenHeight', integer(screen.height));

  put(record, 'web.webPageDetails.URL', text(page.url, 4096));
  put(record, 'web.webReferrer.URL', text(page.referrer, 4096));

  put(record, 'placeContext.geo.city', text(location.city, 200));
  const country = text(location.country, 100);
  put(record, 'placeContext.geo.countryCode', country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : undefined);
  put(record, 'placeContext.geo.stateProvince', text(location.region, 200));
  const latitude = number(location.latitude);
  const longitude = number(location.longitude);
  put(record, 'placeContext.geo.latitude', latitude !== undefined && Math.abs(latitude) <= 90 ? latitude : undefined);
  put(record, 'placeContext.geo.longitude', longitude !== undefined && Math.abs(longitude) <= 180 ? longitude : undefined);

  put(record, 'marketing.campaignName', text(campaign.name, 500));
  put(record, 'marketing.trackingCode', text(campaign.source, 500));
  put(record, 'marketing.channel', text(campaign.medium, 200));
}
