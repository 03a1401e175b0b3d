/** Storage interface of decisioning (offers, activities, allocations, events); embedded: `sqlite-store.ts`. */
import type { Activity, Allocation, Offer } from './model.ts';

export interface ImpressionRow {
  activityId: string;
  experienceId: string;
  /** Profile id when known, else visitor id (the assignment key). */
  visitorKey: string;
  audiences: readonly string[];
  at: number;
}

export interface ConversionRow {
  activityId: string;
  /** Keys to credit, best first (profile id, then visitor id): the first with an impression wins. */
  visitorKeys: readonly string[];
  revenue: number;
  at: number;
}

export interface ExperienceTotals {
  experienceId: string;
  visitors: number;
  impressions: number;
  conversions: number;
  convertedVisitors: number;
  revenue: number;
  /** Σ over visitors of (revenue per visitor)², for Welch's test on revenue per visitor. */
  revenueSquares: number;
}

export interface AudienceTotals extends ExperienceTotals {
  audienceId: string;
}

export interface DailyTotals {
  day: string;
  experienceId: string;
  visitors: number;
  impressions: number;
  conversions: number;
  revenue: number;
}

export interface DecisioningStore {
  listOffers(sandboxId: string): Promise<Offer[]>;
  getOffer(sandboxId: string, id: string): Promise<Offer | undefined>;
  putOffer(sandboxId: string, offer: Offer): Promise<void>;
  deleteOffer(sandboxId: string, id: string): Promise<boolean>;

  listActivities(sandboxId: string): Promise<Activity[]>;
  /** Sandboxes holding at least one live activity (to load snapshots at start). */
  sandboxesWithLiveActivities(): Promise<string[]>;
  getActivity(sandboxId: string, id: string): Promise<Activity | undefined>;
  putActivity(sandboxId: string, activity: Activity): Promise<void>;
  deleteActivity(sandboxId: string, id: string): Promise<boolean>;

  listAllocations(sandboxId: string): Promise<Map<string, Allocation>>;
  putAllocation(sandboxId: string, activityId: string, allocation: Allocation): Promise<void>;

  recordImpressions(sandboxId: string, rows: readonly ImpressionRow[]): Promise<void>;
  /** Credits each conversion to the visitor's most recently seen experience; returns how many were credited. */
  recordConversions(sandboxId: string, rows: readonly ConversionRow[]): Promise<number>;
  /** Activities with an impression for any of these keys (for conversions not naming an activity). */
  activitiesSeenBy(sandboxId: string, visitorKeys: readonly string[]): Promise<string[]>;
  experienceTotals(sandboxId: string, activityId: string): Promise<ExperienceTotals[]>;
  audienceTotals(sandboxId: string, activityId: string): Promise<AudienceTotals[]>;
  dailyTotals(sandboxId: string, activityId: string): Promise<DailyTotals[]>;

  deleteSandbox(sandboxId: string): Promise<void>;
}
