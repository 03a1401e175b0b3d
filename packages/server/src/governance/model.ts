/**
 * Governance (data usage labelling and enforcement): labels, marketing actions, policies that deny
 * an action for a label expression, and the usage decision with its lineage. The schemas here are
 * the types and the API validation.
 */
import { Type, type Static } from '@sinclair/typebox';

export const LabelName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$', description: 'e.g. C2, I1, or a custom label' });
export const ActionName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$', description: 'e.g. exportToThirdParty, or a custom action' });

export const LabelCategory = Type.Union([Type.Literal('contract'), Type.Literal('identity'), Type.Literal('sensitive'), Type.Literal('custom')]);
export type LabelCategory = Static<typeof LabelCategory>;

export const LabelInput = Type.Object(
  {
    name: LabelName,
    friendlyName: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type LabelInput = Static<typeof LabelInput>;

export const GovernanceLabel = Type.Object({
  name: Type.String(),
  friendlyName: Type.String(),
  description: Type.String(),
  category: LabelCategory,
  core: Type.Boolean({ description: 'shipped with Meridian; read-only' }),
});
export type GovernanceLabel = Static<typeof GovernanceLabel>;

export const MarketingActionInput = Type.Object(
  {
    name: ActionName,
    friendlyName: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type MarketingActionInput = Static<typeof MarketingActionInput>;

export const MarketingAction = Type.Object({
  name: Type.String(),
  friendlyName: Type.String(),
  description: Type.String(),
  core: Type.Boolean({ description: 'shipped with Meridian; read-only' }),
});
export type MarketingAction = Static<typeof MarketingAction>;

/**
 * A label expression: a label, or AND/OR over operands (nesting allowed). Validated in code, not
 * by the HTTP schema, so a malformed expression gets a 422 naming the exact operand.
 */
export type LabelExpression = { label: string } | { operator: 'AND' | 'OR'; operands: LabelExpression[] };

const LabelExpressionDoc = Type.Unknown({
  description: 'a label expression: {"label":"C1"} or {"operator":"AND"|"OR","operands":[...]} (nesting allowed)',
  examples: [{ operator: 'OR', operands: [{ label: 'C1' }, { operator: 'AND', operands: [{ label: 'C3' }, { label: 'C7' }] }] }],
});

export const PolicyStatus = Type.Union([Type.Literal('ENABLED'), Type.Literal('DISABLED'), Type.Literal('DRAFT')], {
  description: 'only ENABLED policies are enforced',
});
export type PolicyStatus = Static<typeof PolicyStatus>;

export const PolicyInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    marketingAction: Type.String({ minLength: 1, maxLength: 64, description: 'the marketing action this policy denies' }),
    deny: LabelExpressionDoc,
    status: Type.Optional(PolicyStatus),
  },
  { additionalProperties: false },
);
export type PolicyInput = Static<typeof PolicyInput>;

export const PolicyPatch = Type.Object({ status: PolicyStatus }, { additionalProperties: false });
export type PolicyPatch = Static<typeof PolicyPatch>;

export const Policy = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  marketingAction: Type.String(),
  deny: Type.Unknown({ description: 'label expression' }),
  status: PolicyStatus,
  core: Type.Boolean({ description: 'shipped with Meridian: only its status can change' }),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  updatedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export interface Policy extends Omit<Static<typeof Policy>, 'deny'> {
  deny: LabelExpression;
}

export const UsageRequest = Type.Object(
  {
    marketingActionId: Type.String({ minLength: 1, maxLength: 64, description: 'the marketing action the data is to be used for' }),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200, description: 'labels to evaluate directly' })),
    audienceIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 250, description: 'audiences whose PQL reads fields (and their inSegment audiences)' })),
    fieldPaths: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 500, description: 'mapped profile fields (prefix event fields with xEvent.)' })),
    mergePolicyId: Type.Optional(Type.String({ minLength: 1, description: 'merge policy whose datasets supply the fields (default: each audience’s, else the default policy)' })),
    datasetIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 200, description: 'datasets used directly: all their labels apply' })),
    identityNamespaces: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, description: 'identity namespaces exported: the schema fields holding them bring their labels' })),
  },
  { additionalProperties: false },
);
export type UsageRequest = Static<typeof UsageRequest>;

export const LineageEntry = Type.Object({
  label: Type.String(),
  /** The field that carries the label into the use; null when a dataset or the request supplies it whole. */
  field: Type.Union([Type.String(), Type.Null()]),
  /** Dataset id the label comes through; null for labels given directly. */
  dataset: Type.Union([Type.String(), Type.Null()]),
  datasetName: Type.Optional(Type.String()),
  /** Where the label is set: on the dataset, on the field in the dataset's schema, or in the request. */
  source: Type.Union([Type.Literal('dataset'), Type.Literal('field'), Type.Literal('request')]),
  /** The schema label key that matched (the field itself or an ancestor/descendant of it), for field labels. */
  schemaField: Type.Optional(Type.String()),
  /** The audience whose expression reads the field. */
  audienceId: Type.Optional(Type.String()),
});
export type LineageEntry = Static<typeof LineageEntry>;

export const Violation = Type.Object({
  policyId: Type.String(),
  policyName: Type.String(),
  marketingAction: Type.String(),
  /** The labels that satisfied the policy's deny expression. */
  labels: Type.Array(Type.String()),
  lineage: Type.Array(LineageEntry),
  explanation: Type.String(),
});
export type Violation = Static<typeof Violation>;

export const UsageDecision = Type.Object({
  marketingAction: Type.String(),
  allowed: Type.Boolean(),
  /** Every label the use carries, sorted. */
  labels: Type.Array(Type.String()),
  lineage: Type.Array(LineageEntry),
  violations: Type.Array(Violation),
  /** Fields read that no dataset in scope defines: they carry no labels. */
  unmatchedFields: Type.Array(Type.String()),
});
export type UsageDecision = Static<typeof UsageDecision>;
