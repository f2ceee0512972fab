import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/postgresql';
import { badInput } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number;
}

interface Keyed {
  id: string;
  createdAt: Date;
}

function encodeCursor(row: Keyed): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(createdAt));
    // Our cursors hold real row times and ids; anything else (a date PostgreSQL cannot represent,
    // an id with bytes text cannot hold) was not made by us and must not reach the database.
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error('bad cursor');
    if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 2000 || date.getUTCFullYear() > 9999) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw badInput('after', 'after is not a cursor from this list');
  }
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput('first', `first must be from 1 to ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/**
 * Keyset pagination, newest first, over (createdAt, id): stable under concurrent inserts and as
 * fast on page 1,000 as on page 1 (an index on (realm, created_at desc, id desc) serves it).
 */
export async function paginate<T extends Keyed>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, args: PageArgs): Promise<Connection<T>> {
  const limit = pageSize(args.first);
  let filter = where;
  if (args.after) {
    const { createdAt, id } = decodeCursor(args.after);
    filter = {
      $and: [where, { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] }],
    } as FilterQuery<T>;
  }
  const rows = await em.find(entity, filter, {
    orderBy: { createdAt: 'desc', id: 'desc' } as never,
    limit: limit + 1,
  });
  return connectionOf(rows, limit, args);
}

/** A page of a keyset list from its rows, newest first: `limit` of them, and one more if there is a next page. */
export function connectionOf<T extends Keyed>(rows: T[], limit: number, args: PageArgs): Connection<T> {
  return pageOf(rows, limit, args, encodeCursor);
}

/** A page from `limit + 1` rows (the extra one only tells that there is a next page), each edge with its cursor. */
export function pageOf<T>(rows: T[], limit: number, args: PageArgs, cursorOf: (row: T) => string): Connection<T> {
  const page = rows.slice(0, limit);
  // Cursors are made when read: most lists (a "your devices" page) ask for none, and encoding one
  // per row cost as much as resolving that row's fields.
  const edges = page.map((node) => new Edge(node, cursorOf));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(args.after),
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}

class Edge<T> {
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return (this.#cursor ??= this.cursorOf(this.node));
  }
}
