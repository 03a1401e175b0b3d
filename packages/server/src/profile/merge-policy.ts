/**
 * Merge policies: how a person's profile fragments become one profile. `timestampOrdered` lets the
 * most recent fragment win per attribute; `dataSetPrecedence` lets datasets win in a given order
 * (datasets not listed are not merged). `identityGraph: none` merges only the looked-up identity's
 * own fragments; `pdg` merges the whole identity graph.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MergePolicyInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    identityGraph: Type.Object({ type: Type.Union([Type.Literal('pdg'), Type.Literal('none')]) }, { additionalProperties: false }),
    attributeMerge: Type.Object(
      {
        type: Type.Union([Type.Literal('timestampOrdered'), Type.Literal('dataSetPrecedence')]),
        order: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'dataset ids, highest precedence first (dataSetPrecedence only)' })),
      },
      { additionalProperties: false },
    ),
    default: Type.Optional(Type.Boolean()),
    isActiveOnEdge: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type MergePolicyInput = Static<typeof MergePolicyInput>;

export const MergePolicy = Type.Object({
  id: Type.String(),
  name: Type.String(),
  schema: Type.Object({ name: Type.Literal('_xdm.context.profile') }),
  identityGraph: MergePolicyInput.properties.identityGraph,
  attributeMerge: MergePolicyInput.properties.attributeMerge,
  default: Type.Boolean(),
  isActiveOnEdge: Type.Boolean(),
  version: Type.Integer(),
  updateEpoch: Type.Integer({ description: 'seconds since the epoch of the last change' }),
});
export type MergePolicy = Static<typeof MergePolicy>;

export const DEFAULT_MERGE_POLICY_INPUT: MergePolicyInput = {
  name: 'Default timestamp-ordered',
  identityGraph: { type: 'pdg' },
  attributeMerge: { type: 'timestampOrdered' },
  default: true,
  isActiveOnEdge: true,
};

/** Most merge policies one sandbox may hold (the commercial suite allows 5). */
export const MAX_MERGE_POLICIES = 20;
