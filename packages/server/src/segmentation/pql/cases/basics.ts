/**
 * Conformance cases: literals, comparison, boolean logic, arithmetic, `if`, the three ways of
 * referring to the profile, and the null/missing-field rules (see docs/pql.md).
 */
import { NOW, type PqlCase } from './fixtures.ts';

const JOHN = {
  person: { name: { firstName: 'John', lastName: 'Smith' }, birthYear: 1985, birthMonth: 6, age: 40, gender: 'male', score: 7.5, balance: -100, nickname: 'Say "hi"\\' },
  homeAddress: { countryISO: 'CA', countryCode: 'CA', stateProvince: 'ON', city: 'Toronto' },
  workAddress: { stateProvince: 'ON', country: 'US' },
  loyalty: { points: 1200, tier: 'gold', member: true },
};

const SPARSE = { person: { name: { firstName: 'Ann' }, nickname: null }, homeAddress: {}, tags: [], emptyString: '' };

const on = (name: string, pql: string, expected: PqlCase['expected'], extra: Partial<PqlCase> = {}): PqlCase => ({ name, pql, profile: JOHN, events: [], now: NOW, expected, ...extra });
const sparse = (name: string, pql: string, expected: PqlCase['expected'], why?: string): PqlCase => ({ name, pql, profile: SPARSE, events: [], now: NOW, expected, ...(why ? { why } : {}) });

export const BASIC_CASES: PqlCase[] = [
  // comparison
  on('= compares a string attribute', 'homeAddress.countryISO = "CA"', true, { source: 'comparison-functions' }),
  on('!= is the opposite of = when both sides exist', 'homeAddress.countryISO != "CA"', false, { source: 'comparison-functions' }),
  on('> on integers', 'person.birthMonth > 2', true, { source: 'comparison-functions' }),
  on('>= includes equality', 'person.birthMonth >= 6', true),
  on('< excludes equality', 'person.birthMonth < 6', false),
  on('<= includes equality', 'person.birthMonth <= 6', true),
  on('an integer equals the same double', '1 = 1.0', true),
  on('a string never equals a number', '"1" = 1', false),
  on('booleans compare with =', 'loyalty.member = true', true),
  on('strings order by code unit', '"apple" < "banana"', true),
  on('uppercase orders before lowercase (code units)', '"Zebra" < "apple"', true),
  on('values of different types are never ordered', '"a" < 1', false),
  on('values of different types are not equal, so != is true', '"1" != 1', true),
  on('doubles compare exactly', 'person.score = 7.5', true),
  on('a negative literal compares as a number', 'person.balance > -201', true),
  on('escaped quotes and backslashes in a string literal', 'person.nickname = "Say \\"hi\\"\\\\"', true),
  // boolean
  on('and of two true comparisons', 'homeAddress.countryISO = "CA" and person.birthYear = 1985', true, { source: 'boolean-functions' }),
  on('or is true when one side is', 'homeAddress.countryISO = "US" or person.birthYear = 1985', true, { source: 'boolean-functions' }),
  on('not (q) negates', 'not (homeAddress.countryISO = "CA")', false, { source: 'boolean-functions' }),
  on('!(q) is not (q)', '!(homeAddress.countryISO = "US")', true),
  on('and binds tighter than or', 'loyalty.tier = "gold" or person.birthYear = 1900 and homeAddress.countryISO = "US"', true, { why: 'true or (false and false)' }),
  on('not binds looser than a comparison', 'not homeAddress.countryISO = "US"', true, { why: 'not ("CA" = "US")' }),
  on('the literal true', 'true', true),
  on('the literal false', 'false', false),
  // if
  on('if takes the first branch when the test is true', 'if(homeAddress.countryISO = "CA", 1, 2)', 1, { source: 'boolean-functions' }),
  on('if takes the second branch when the test is false', 'if (homeAddress.countryISO = "US", 1, 2)', 2),
  on('if returns strings', 'if(homeAddress.countryCode in ["US", "MX", "CA"], "NA", "ROW")', 'NA', { source: 'computed-attributes/expressions' }),
  // arithmetic
  on('* binds tighter than +', '1 + 2 * 3', 7),
  on('parentheses group', '(1 + 2) * 3', 9),
  on('- is left-associative', '10 - 4 - 3', 3),
  on('/ always divides exactly', '7 / 2', 3.5),
  on('% is the remainder', 'person.age % 5 = 0', true, { source: 'arithmetic-functions' }),
  on('unary minus on a literal', '-5 + 3', -2),
  on('unary minus on an attribute', '-person.age', -40),
  on('a double times an integer', 'person.score * 2', 15),
  on('arithmetic inside a comparison', '2 + 3 = 5 and 10 / 4 = 2.5', true),
  on('% keeps the sign of the dividend', '-7 % 3', -1),
  on('adding attributes', 'loyalty.points + person.age', 1240, { source: 'arithmetic-functions (product1.price + product2.price)' }),
  on('division by zero is null', 'loyalty.points / 0', null),
  on('a comparison with division by zero is false', 'loyalty.points / 0 > 1', false),
  on('remainder by zero is null', 'loyalty.points % 0', null),
  // references to the profile
  on('implicit reference to the profile', 'homeAddress.stateProvince = workAddress.stateProvince', true, { source: 'overview' }),
  on('$1 is the profile', '$1.homeAddress.stateProvince = $1.workAddress.stateProvince', true, { source: 'overview' }),
  on('a named lambda names the profile', '(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince', true, { source: 'overview' }),
  on('a backquoted name is a field even if it reads as a keyword', '`loyalty`.tier = "gold"', true),
  on('in with an array literal', 'person.birthYear in [1985, 1990]', true),
  // null and missing fields
  sparse('= with a missing field is false', 'homeAddress.countryCode = "US"', false),
  sparse('!= with a missing field is false too', 'homeAddress.countryCode != "US"', false, 'every comparison with null is false'),
  sparse('not (=) with a missing field is true', 'not (homeAddress.countryCode = "US")', true, 'not negates the false comparison'),
  sparse('< with a missing field is false', 'homeAddress.countryCode < "ZZ"', false),
  sparse('in with a missing value is false', 'homeAddress.countryCode in ["US", "CA"]', false),
  sparse('notIn with a missing value is false', 'homeAddress.countryCode notIn ["US", "CA"]', false, 'notIn also requires a non-null value (Adobe: not the exact negation of in)'),
  sparse('not (in) with a missing value is true', 'not (homeAddress.countryCode in ["US", "CA"])', true),
  sparse('isNull on a missing field', 'homeAddress.countryCode.isNull()', true),
  sparse('isNull on an existing empty object', 'homeAddress.isNull()', false),
  sparse('isNull on an explicit null', 'person.nickname.isNull()', true),
  sparse('isNotNull on a present field', 'person.name.firstName.isNotNull()', true),
  sparse('isNull under a missing parent', 'person.missing.deeper.isNull()', true),
  sparse('an empty string is not null', 'emptyString.isNull()', false),
  sparse('an empty string equals ""', 'emptyString = ""', true),
  sparse('a string method on a missing field is false', 'homeAddress.countryCode.contains("U")', false),
  sparse('a negated string method on a missing field is false too', 'homeAddress.countryCode.doesNotContain("U")', false),
  sparse('like on a missing field is false', 'homeAddress.countryCode like "%"', false),
  sparse('arithmetic with null is null', 'person.age + 1', null),
  sparse('a comparison of null arithmetic is false', 'person.age + 1 = 1', false),
  sparse('null never equals null', 'homeAddress.countryCode = homeAddress.countryCode', false),
  sparse('count of an empty array is 0', 'tags.count()', 0),
  sparse('count of a missing array is 0', 'missingList.count()', 0),
  sparse('sum of a missing array is 0', 'missingList.sum()', 0),
  sparse('average of an empty array is null', 'tags.average()', null),
  sparse('if with a null test takes the second branch', 'if(homeAddress.countryCode = "US", "yes", "no")', 'no'),
  sparse('a missing boolean counts as false in or', 'missing.flag or true', true),
  sparse('a missing boolean counts as false in and', 'missing.flag and true', false),
  sparse('not of a missing boolean is true', 'not (missing.flag)', true),
  sparse('a missing field is null as a value', 'homeAddress.countryCode', null),
];
