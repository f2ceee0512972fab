import SchemaBuilder from '@pothos/core';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { GraphQLContext } from './context.js';

export interface TesseraSchemaTypes {
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}

export const builder = new SchemaBuilder<TesseraSchemaTypes>({ defaultFieldNullability: false });

export type Types = PothosSchemaTypes.ExtendDefaultTypes<TesseraSchemaTypes>;

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
