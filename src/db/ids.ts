import { randomBytes } from 'node:crypto';

// 128 random bits: ids are unguessable, so a leaked id never helps enumerate a realm.
// The short prefix only helps humans reading logs; clients must treat ids as opaque.
export type IdPrefix = 'rlm' | 'usr' | 'org' | 'mem' | 'ses' | 'key' | 'adm' | 'apk' | 'aud' | 'tok';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}
