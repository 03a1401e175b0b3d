/**
 * The destination types Meridian ships. Adding one: a folder with its definition, one line here.
 */
import type { DestinationDefinition } from './types.ts';
import { webhook } from './webhook/index.ts';
import { fileDestination } from './file/index.ts';
import { adAudience } from './ad-audience/index.ts';
import { sftp } from './sftp/index.ts';
import { s3 } from './s3/index.ts';
import { emailService } from './email-service/index.ts';
import { smsService } from './sms-service/index.ts';
import { campaignDestination } from './campaign/index.ts';

// Each definition types its own settings; the registry holds them by their common shape.
const DEFINITIONS = [webhook, fileDestination, adAudience, sftp, s3, emailService, smsService] as unknown as DestinationDefinition<Record<string, unknown>>[];
DEFINITIONS.push(campaignDestination as unknown as DestinationDefinition<Record<string, unknown>>);

export type AnyDestinationDefinition = DestinationDefinition<Record<string, unknown>>;

export function destinationTypes(): readonly AnyDestinationDefinition[] {
  return DEFINITIONS;
}

export function destinationType(type: string): AnyDestinationDefinition | undefined {
  return DEFINITIONS.find((d) => d.type === type);
}
