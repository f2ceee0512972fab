import type { EntitySchema } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

interface ColumnMapping {
  column: string;
  property: string;
  isDate: boolean;
}

const mappings = new WeakMap<object, ColumnMapping[]>();

/**
 * An entity (a plain object of its properties) from a `to_jsonb(row)` of its table: how the store files' statements hand
 * back rows, for resolvers and claim building. Not registered with the ORM: it is never flushed,
 * and costs a tenth of `em.map` (which merges into the identity map and snapshots the entity for
 * change tracking). What is changed and flushed is loaded through the ORM (admin CRUD).
 */
export function hydrate<T extends object>(em: EntityManager, entity: EntitySchema<T>, row: Record<string, unknown>): T {
  let mapping = mappings.get(entity);
  if (!mapping) {
    mapping = em
      .getMetadata()
      .get(entity.meta.className)
      .props.map((prop) => ({ column: prop.fieldNames[0], property: prop.name, isDate: prop.runtimeType === 'Date' }));
    mappings.set(entity, mapping);
  }
  const instance: Record<string, unknown> = {};
  for (const { column, property, isDate } of mapping) {
    const value = row[column] ?? null;
    // jsonb spells timestamps as ISO strings.
    instance[property] = isDate && value !== null ? new Date(value as string) : value;
  }
  return instance as T;
}
