/**
 * Conformance cases: `occurs` in all its forms, time words and periods, unit arithmetic, and the
 * exact boundaries (see `time.ts` and docs/pql.md). `now` is Wed 2025-06-18 15:00 UTC unless set.
 */
import { NOW, type PqlCase } from './fixtures.ts';

/** A case about one timestamp attribute `ts` (and optionally more attributes). */
const at = (name: string, pql: string, ts: string | null, expected: boolean, extra: Partial<PqlCase> & { more?: { [key: string]: string } } = {}): PqlCase => {
  const { more, ...rest } = extra;
  return { name, pql, profile: { ts, ...more }, events: [], now: NOW, expected, ...rest };
};

export const TIME_CASES: PqlCase[] = [
  // on a period
  at('occurs last week: inside', 'ts occurs last week', '2025-06-10T08:00:00Z', true, { source: 'datetime-functions (product.saleDate occurs last week)' }),
  at('occurs last week: Monday 00:00 of last week is inside', 'ts occurs last week', '2025-06-09T00:00:00Z', true, { why: 'weeks start on Monday' }),
  at('occurs last week: Monday 00:00 of this week is outside', 'ts occurs last week', '2025-06-16T00:00:00Z', false),
  at('occurs this week: Sunday night is inside', 'ts occurs this week', '2025-06-22T23:59:59Z', true),
  at('occurs this week: last Sunday is outside', 'ts occurs this week', '2025-06-15T12:00:00Z', false),
  at('occurs next week', 'ts occurs next week', '2025-06-23T00:00:00Z', true),
  at('occurs today', 'ts occurs today', '2025-06-18T01:00:00Z', true),
  at('occurs on today (on is optional)', 'ts occurs on today', '2025-06-18T23:59:59Z', true),
  at('occurs today excludes tomorrow 00:00', 'ts occurs today', '2025-06-19T00:00:00Z', false),
  at('occurs yesterday', 'ts occurs yesterday', '2025-06-17T12:00:00Z', true),
  at('occurs tomorrow', 'ts occurs tomorrow', '2025-06-19T12:00:00Z', true),
  at('occurs this month from its first instant', 'ts occurs this month', '2025-06-01T00:00:00Z', true),
  at('occurs last month to its last instant', 'ts occurs last month', '2025-05-31T23:59:59Z', true),
  at('occurs next month', 'ts occurs next month', '2025-07-15T00:00:00Z', true),
  at('occurs this year', 'ts occurs this year', '2025-01-01T00:00:00Z', true),
  at('occurs last year', 'ts occurs last year', '2024-12-31T23:00:00Z', true),
  at('occurs this decade (2020-2029)', 'ts occurs this decade', '2020-01-01T00:00:00Z', true),
  at('occurs last decade (2010-2019)', 'ts occurs last decade', '2019-12-31T00:00:00Z', true),
  at('occurs this century (2000-2099)', 'ts occurs this century', '2000-01-01T00:00:00Z', true),
  at('occurs last century (1900-1999)', 'ts occurs last century', '1999-12-31T00:00:00Z', true),
  at('occurs this millennium (2000-2999)', 'ts occurs this millennium', '2000-01-01T00:00:00Z', true),
  at('occurs this hour', 'ts occurs this hour', '2025-06-18T15:59:59Z', true),
  at('occurs on a date: any time that day', 'ts occurs on date(2019, 12, 31)', '2019-12-31T18:00:00Z', true, { source: 'datetime-functions (note on "on")' }),
  at('occurs on a date-time: that instant only', 'ts occurs on date(2025, 6, 18, 12, 0, 0)', '2025-06-18T12:00:00Z', true),
  // between
  at('between two dates includes the whole last day', 'ts occurs between date(2015, 1, 8) and date(2017, 7, 1)', '2017-07-01T23:59:59Z', true, { source: 'datetime-functions' }),
  at('between two dates excludes the day after', 'ts occurs between date(2015, 1, 8) and date(2017, 7, 1)', '2017-07-02T00:00:00Z', false),
  at('between two dates includes the first instant', 'ts occurs between date(2015, 1, 8) and date(2017, 7, 1)', '2015-01-08T00:00:00Z', true),
  at('between yesterday and today: yesterday 00:00', 'ts occurs between yesterday and today', '2025-06-17T00:00:00Z', true),
  at('between yesterday and today: tomorrow 00:00 is outside', 'ts occurs between yesterday and today', '2025-06-19T00:00:00Z', false),
  // before / after / from
  at('before today: just before midnight', 'ts occurs before today', '2025-06-17T23:59:59Z', true, { source: 'overview (X.timestamp occurs before today)' }),
  at('before today: midnight is not before', 'ts occurs before today', '2025-06-18T00:00:00Z', false),
  at('after today: from tomorrow 00:00', 'ts occurs after today', '2025-06-19T00:00:00Z', true, { why: 'after a day means after the whole day' }),
  at('after today: later today is not after', 'ts occurs after today', '2025-06-18T23:00:00Z', false),
  at('after now is strictly later', 'ts occurs after now', '2025-06-18T15:00:01Z', true),
  at('after now excludes now itself', 'ts occurs after now', '2025-06-18T15:00:00Z', false),
  at('from today includes the start of today', 'ts occurs from today', '2025-06-18T00:00:00Z', true),
  at('after a date-time instant is strict', 'ts occurs after date(2025, 6, 18, 12, 0, 0)', '2025-06-18T12:00:00Z', false),
  at('before an attribute', 'ts occurs before signupDate', '2025-01-01T00:00:00Z', true, { more: { signupDate: '2025-02-01T00:00:00Z' } }),
  // distance from now
  at('< 24 hours before now excludes exactly 24 hours ago', 'ts occurs < 24 hours before now', '2025-06-17T15:00:00Z', false),
  at('< 24 hours before now includes just after', 'ts occurs < 24 hours before now', '2025-06-17T15:00:01Z', true),
  at('<= 24 hours before now includes exactly 24 hours ago', 'ts occurs <= 24 hours before now', '2025-06-17T15:00:00Z', true),
  at('< n before now includes now itself', 'ts occurs < 24 hours before now', '2025-06-18T15:00:00Z', true),
  at('< n before now excludes the future', 'ts occurs < 7 days before now', '2025-06-18T16:00:00Z', false),
  at('> 2 days before now: older than the bound', 'ts occurs > 2 days before now', '2025-06-16T14:59:59Z', true),
  at('> 2 days before now: the bound itself is not older', 'ts occurs > 2 days before now', '2025-06-16T15:00:00Z', false),
  at('>= 2 days before now includes the bound', 'ts occurs >= 2 days before now', '2025-06-16T15:00:00Z', true),
  at('<= 3 days before now (overview example)', 'ts occurs <= 3 days before now', '2025-06-15T15:00:00Z', true, { source: 'overview' }),
  at('= 3 hours before now: within the third hour back', 'ts occurs = 3 hours before now', '2025-06-18T12:30:00Z', true, { source: 'datetime-functions (occurs = 3 hours before now)', why: '12:00 <= ts < 13:00' }),
  at('= 3 hours before now: not in the fourth hour back', 'ts occurs = 3 hours before now', '2025-06-18T11:59:59Z', false),
  at('= 3 days before today: the calendar day', 'ts occurs = 3 days before today', '2025-06-15T22:00:00Z', true, { source: 'datetime-functions (person.birthday occurs = 3 days before today)' }),
  at('= 3 days before today: a date-only value', 'ts occurs = 3 days before today', '2025-06-15', true),
  at('= 3 days before today: the day before is out', 'ts occurs = 3 days before today', '2025-06-14T23:00:00Z', false),
  at('!= 3 days before today: that day', 'ts occurs != 3 days before today', '2025-06-15T10:00:00Z', false),
  at('!= 3 days before today: another day', 'ts occurs != 3 days before today', '2025-06-14T10:00:00Z', true),
  at('< 1 day before today ends at today 00:00', 'ts occurs < 1 day before today', '2025-06-18T10:00:00Z', false, { why: 'before today means not today' }),
  // units
  at('milliseconds', 'ts occurs < 500 milliseconds before now', '2025-06-18T14:59:59.600Z', true),
  at('seconds', 'ts occurs < 30 seconds before now', '2025-06-18T14:59:45Z', true),
  at('minutes', 'ts occurs < 90 minutes before now', '2025-06-18T13:45:00Z', true),
  at('weeks', 'ts occurs < 2 weeks before now', '2025-06-04T15:00:01Z', true),
  at('months move the calendar month', 'ts occurs < 1 month before now', '2025-05-18T15:00:01Z', true),
  at('months: just outside', 'ts occurs < 1 month before now', '2025-05-18T14:59:59Z', false),
  at('months clamp to the end of a shorter month', 'ts occurs < 1 month before now', '2025-02-28T12:00:01Z', true, { now: '2025-03-31T12:00:00.000Z', why: '31 March - 1 month = 28 February' }),
  at('months clamp: just outside', 'ts occurs < 1 month before now', '2025-02-28T11:59:59Z', false, { now: '2025-03-31T12:00:00.000Z' }),
  at('years', 'ts occurs < 1 year before now', '2024-06-18T15:00:01Z', true),
  at('decades', 'ts occurs < 1 decade before now', '2015-06-18T15:00:01Z', true),
  at('centuries (plural)', 'ts occurs < 2 centuries before now', '1825-06-18T15:00:01Z', true),
  at('a century (singular)', 'ts occurs < 1 century before now', '1925-06-18T15:00:00Z', false),
  at('millennia (plural)', 'ts occurs < 2 millennia before now', '0025-06-18T15:00:01Z', true),
  // after / from with a distance
  at('< 2 days after a date counts from the end of that day', 'ts occurs < 2 days after date(2025, 6, 1)', '2025-06-03T12:00:00Z', true),
  at('< 2 days after a date excludes the date itself', 'ts occurs < 2 days after date(2025, 6, 1)', '2025-06-01T12:00:00Z', false),
  at('< 2 days from a date counts from its start', 'ts occurs < 2 days from date(2025, 6, 1)', '2025-06-01T12:00:00Z', true),
  at('< 2 days from a date: the bound is outside', 'ts occurs < 2 days from date(2025, 6, 1)', '2025-06-03T00:00:00Z', false),
  at('> 1 hour after now', 'ts occurs > 1 hour after now', '2025-06-18T16:00:01Z', true),
  // time zones and bad values
  at('a +02:00 time is compared in UTC (yesterday)', 'ts occurs today', '2025-06-18T01:00:00+02:00', false),
  at('a -05:00 time is compared in UTC (today)', 'ts occurs today', '2025-06-17T22:30:00-05:00', true),
  at('a time without a zone is UTC', 'ts occurs today', '2025-06-18T00:00:00', true),
  at('a missing timestamp never occurs', 'ts occurs today', null, false),
  at('a non-timestamp string never occurs', 'ts occurs before now', 'yesterday-ish', false),
  // time words as values
  at('compared with today, a time uses the start of the day', 'ts > today', '2025-06-18T10:00:00Z', true),
  at('compared with now', 'ts > now', '2025-06-18T16:00:00Z', true),
  at('compared with a date literal', 'ts < date(2000, 1, 1)', '1985-06-18', true),
  at('= a date literal is midnight of that day', 'ts = date(2025, 6, 18)', '2025-06-18', true),
  at('= a date literal is not the whole day (use occurs on)', 'ts = date(2025, 6, 18)', '2025-06-18T10:00:00Z', false),
];
