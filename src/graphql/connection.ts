import type { ArgBuilder, ObjectRef } from '@pothos/core';
import { builder, type Types } from './builder.js';
import type { Connection } from '../db/pagination.js';

const PageInfo = builder.objectRef<Connection<unknown>['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** A Relay connection type (`<Name>Connection` with `<Name>Edge`) over a node type. */
export function connectionOf<T>(name: string, node: ObjectRef<Types, T>) {
  const edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (e) => e.node as never }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [edge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    }),
  });
}

/** `first` / `after` of every list. */
export function pageArgs(arg: ArgBuilder<Types>) {
  return {
    first: arg.int({ required: false, description: 'Page size, 1–100 (default 20)' }),
    after: arg.string({ required: false, description: 'Cursor of the last edge of the previous page' }),
  };
}
