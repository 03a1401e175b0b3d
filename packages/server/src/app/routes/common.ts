/** Schemas shared by the route modules: problem bodies and pagination. */
import { Type } from '@sinclair/typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String(),
          message: Type.String(),
          index: Type.Optional(Type.Integer({ description: 'the record, when the request held several' })),
          line: Type.Optional(Type.Integer({ description: 'position in PQL text' })),
          column: Type.Optional(Type.Integer()),
          offset: Type.Optional(Type.Integer()),
        }),
      ),
    ),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

/** Standard error responses for OpenAPI. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Problem]));
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'the `next` value of the previous page' })),
});

export function itemsPage<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({ items: Type.Array(item), next: Type.Optional(Type.String()) });
}
