import type { AdminScope } from '../db/entities/index.js';

/** Who is making a request, already authenticated. Services decide what each kind may do. */
export type Caller = AnonymousCaller | AdminCaller | UserCaller;

export interface AnonymousCaller {
  kind: 'anonymous';
  ip: string | null;
}

export interface AdminCaller {
  kind: 'admin';
  keyId: string;
  name: string;
  scopes: ReadonlySet<AdminScope>;
  /** The one realm this key reaches, or null for all realms. */
  realmId: string | null;
  ip: string | null;
}

export interface UserCaller {
  kind: 'user';
  realmId: string;
  userId: string;
  /** The managed session behind the token; null for unmanaged tokens. */
  sessionId: string | null;
  claims: Record<string, unknown>;
  ip: string | null;
}

/** The audit-log name of a caller. Never contains a credential. */
export function actorOf(caller: Caller): string {
  switch (caller.kind) {
    case 'admin':
      return `admin:${caller.keyId}`;
    case 'user':
      return `user:${caller.userId}`;
    default:
      return 'anonymous';
  }
}
