/**
 * Audiences (segment definitions) in the commercial suite's shape: a PQL expression over the
 * merged profile and its events, an evaluation method chosen from the expression (edge, streaming
 * or batch, with the reasons), and the merge policy it reads profiles through.
 */
import { Type, type Static } from '@sinclair/typebox';

export const Expression = Type.Object(
  {
    type: Type.Literal('PQL'),
    format: Type.Union([Type.Literal('pql/text'), Type.Literal('pql/json')]),
    value: Type.Union([Type.String({ minLength: 1, maxLength: 100_000 }), Type.Record(Type.String(), Type.Unknown())], {
      description: 'PQL text (pql/text) or its AST (pql/json, as a JSON object or a JSON string)',
    }),
  },
  { additionalProperties: false },
);
export type Expression = Static<typeof Expression>;

const Toggle = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: true });

export const EvaluationInfo = Type.Object(
  {
    batch: Type.Optional(Toggle),
    continuous: Type.Optional(Toggle),
    synchronous: Type.Optional(Toggle),
  },
  { additionalProperties: false, description: 'continuous = streaming, synchronous = edge; chosen from the expression when not given' },
);
export type EvaluationInfo = Static<typeof EvaluationInfo>;

export const AudienceInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    expression: Expression,
    evaluationInfo: Type.Optional(EvaluationInfo),
    mergePolicyId: Type.Optional(Type.String()),
    ttlInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    schema: Type.Optional(Type.Object({ name: Type.String() })),
  },
  { additionalProperties: false },
);
export type AudienceInput = Static<typeof AudienceInput>;

export const Classification = Type.Object({
  method: Type.Union([Type.Literal('edge'), Type.Literal('streaming'), Type.Literal('batch')]),
  reasons: Type.Array(Type.String()),
  meridianStreaming: Type.Boolean({ description: "Meridian's streaming engine keeps it current even where the suite's rules say batch" }),
  meridianReasons: Type.Array(Type.String()),
});
export type Classification = Static<typeof Classification>;

/** Whether Meridian's streaming engine keeps an audience of this classification current (with timers for time-based changes). */
export function keptByStreaming(classification: Classification): boolean {
  return classification.method !== 'batch' || classification.meridianStreaming;
}

export const Audience = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  expression: Type.Object({ type: Type.Literal('PQL'), format: Type.Literal('pql/text'), value: Type.String() }),
  evaluationInfo: Type.Object({ batch: Toggle, continuous: Toggle, synchronous: Toggle }),
  classification: Classification,
  mergePolicyId: Type.String(),
  ttlInDays: Type.Integer(),
  schema: Type.Object({ name: Type.String() }),
  profileInstanceId: Type.Literal('ups'),
  /** Audiences this one reads through `inSegment`. */
  dependencies: Type.Array(Type.String()),
  /** Where members come from: a PQL expression (absent or `pql`), or uploaded identities (`external`, see docs/audiences.md). */
  origin: Type.Optional(Type.Union([Type.Literal('pql'), Type.Literal('external')])),
  external: Type.Optional(
    Type.Object({
      identities: Type.Integer({ description: 'distinct identities uploaded' }),
      namespaces: Type.Array(Type.String()),
      expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'members exit at this instant' })),
    }),
  ),
  sandbox: Type.Object({ sandboxId: Type.String(), sandboxName: Type.String() }),
  creationTime: Type.Integer({ description: 'epoch ms' }),
  updateTime: Type.Integer({ description: 'epoch ms' }),
  updateEpoch: Type.Integer({ description: 'epoch seconds' }),
});
export type Audience = Static<typeof Audience>;

export const ValidationIssue = Type.Object({
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
  offset: Type.Optional(Type.Integer()),
  path: Type.Optional(Type.String({ description: 'JSON path, for pql/json' })),
});
export type ValidationIssue = Static<typeof ValidationIssue>;
