export type TerminationReason =
  | 'LOGOUT'
  | 'TERMINATED_BY_USER'
  | 'TERMINATED_BY_ADMIN'
  | 'EVICTED'
  | 'EXPIRED'
  | 'IDLE_TIMEOUT'
  | 'PASSWORD_CHANGED'
  | 'USER_DISABLED'
  | 'USER_DELETED'
  | 'REFRESH_TOKEN_REUSED';

/** How a session ended. `UNKNOWN` only when the server refused the session but could not say why. */
export interface SessionTermination {
  sessionId: string;
  userId: string;
  realmId: string;
  reason: TerminationReason | 'UNKNOWN';
  /** ISO time; absent with UNKNOWN. */
  terminatedAt?: string;
}

/** One session of the logged-in user, as `listSessions()` returns it. */
export interface SessionInfo {
  id: string;
  state: 'ACTIVE' | 'TERMINATED' | 'EXPIRED';
  createdAt: string;
  lastActiveAt: string | null;
  expiresAt: string | null;
  ip: string | null;
  userAgent: string | null;
  app: string | null;
  /** True for the session of this client. */
  current: boolean;
}

export interface LoginInfo {
  userId: string;
  sessionId: string;
  /** When the access token expires (this device's clock, ms since the epoch). */
  expiresAt: number;
}
