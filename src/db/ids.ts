import { randomBytes } from 'node:crypto';

// 128 random bits: ids are unguessable, so a leaked id never helps enumerate a realm.
// The short prefix only helps humans reading logs; clients must treat ids as opaque.
export type IdPrefix = 'rlm' | 'usr' | 'org' | 'mem' | 'ses' | 'key' | 'adm' | 'apk' | 'aud' | 'tok' | 'cli' | 'whk' | 'dlv';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/**
 * An id for rows that are only ever appended (audit events): the creation time in milliseconds,
 * as 12 hex digits, then 80 random bits. Ids made later sort later, so new rows go to the right
 * edge of the primary-key index instead of to random pages of it: with a year of audit events
 * that index outgrows memory, and random inserts would read a page from disk for each. Still
 * unguessable; it tells when the row was made, which the row says anyway.
 * tessera_audit_id() (migrations/…_time_ordered_audit_ids.ts) makes the same shape in SQL.
 */
export function newTimeOrderedId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('base64url')}`;
}
