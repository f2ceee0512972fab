import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { endpointsOf } from '../shared/graphql-http.js';
import type { BackoffOptions } from '../shared/backoff.js';
import { LiveSessions, type SubscriptionState } from './live-sessions.js';
import { VerifiedTokenCache } from './token-cache.js';

/** The claims of a Tessera login token (docs/concepts.md#login-tokens in the Tessera repository); `sid` only for managed sessions. */
export interface TesseraClaims extends JWTPayload {
  iss: string;
  sub: string;
  uid?: string;
  sid?: string;
  jti?: string;
  un?: string;
  fn?: string;
  ln?: string;
  n?: string;
  cs?: Record<string, unknown>;
  m?: { p?: string[]; cs?: Record<string, unknown>; oid?: string; o?: string; ocs?: Record<string, unknown> }[];
}

export interface ManagedOptions {
  /** An admin key with SESSIONS_READ for the issuer's realm. */
  adminKey: string;
  /** Tessera's base URL; by default the issuer's origin (and path before `/realms/…`). */
  url?: string;
  /** While the `sessionEvents` subscription is down: how long a `verifyToken` answer is kept (default 2000 ms). */
  fallbackCacheMs?: number;
  /** With the subscription up: ask about a session again after this long anyway (default 60 000 ms). */
  maxTrustMs?: number;
  /** A WebSocket class for graphql-ws; by default the global one, else the `ws` package if installed. */
  webSocketImpl?: unknown;
  backoff?: BackoffOptions;
  /** Subscription problems (reconnections happen by themselves). */
  onError?: (error: unknown) => void;
}

export interface VerifierOptions {
  /** The realm's issuer, `PUBLIC_URL/realms/<realmId>` (the `iss` of its tokens). */
  issuer: string;
  /** HS256: the realm's `jwtSecret` (several during a rotation). Without it, RS256 from the issuer's JWKS. */
  secret?: string | string[];
  /** The JWKS for RS256; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** No JWKS fetch sooner than this after the last one, even for an unknown `kid` (default 5000 ms). */
  jwksCooldownMs?: number;
  /** Leeway for `exp`/`nbf` between clocks (default 0). */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered until their `exp` (default 10 000; 0 turns it off). */
  tokenCacheSize?: number;
  /** Adds the live-session check: a token of a session that has ended is refused before its `exp`. */
  managed?: ManagedOptions;
  /** For Tessera's requests: the JWKS (RS256) and, in managed mode, `verifyToken`. */
  fetch?: typeof fetch;
  /** For tests. */
  now?: () => number;
}

export interface Verifier {
  /** Resolves to the claims, or rejects with a TokenRejectedError. */
  verify(token: string): Promise<TesseraClaims>;
  /** Managed mode: the `sessionEvents` subscription's state ('closed' without managed). */
  readonly subscriptionState: SubscriptionState;
  /** Close the subscription (managed mode). */
  close(): Promise<void>;
}

/** Why a token was refused: INVALID_TOKEN (signature, algorithm, issuer, format), EXPIRED, SESSION_ENDED. */
export class TokenRejectedError extends Error {
  constructor(
    readonly code: 'INVALID_TOKEN' | 'EXPIRED' | 'SESSION_ENDED',
    message: string,
  ) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/** Tessera refuses longer tokens before any crypto (docs/security.md); so does the verifier. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * A verifier for one realm's login tokens (README.md). The algorithm is pinned — HS256 when a secret
 * is given, RS256 otherwise — so a token cannot choose how it is checked (no `none`, no HS256 signed
 * with the public key). The issuer and `exp` are always checked.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const issuer = options.issuer.replace(/\/+$/, '');
  const algorithm = options.secret !== undefined ? 'HS256' : 'RS256';
  const keys = algorithm === 'HS256' ? secretKeys(options.secret!) : remoteKeys(options.jwksUrl ?? `${issuer}/.well-known/jwks.json`, options);
  const cache = new VerifiedTokenCache<TesseraClaims>(options.tokenCacheSize ?? 10_000, 60 * 60 * 1000);
  const sessions = options.managed ? managedSessions(issuer, options.managed, options.fetch ?? fetch, now) : undefined;

  async function verifySignature(token: string): Promise<TesseraClaims> {
    const cached = cache.get(token, now());
    if (cached) return cached;
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError('INVALID_TOKEN', 'token too long');
    try {
      const { payload } = await keys.verify(token, {
        issuer,
        algorithms: [algorithm],
        requiredClaims: ['sub', 'iat'],
        clockTolerance: options.clockToleranceSeconds ?? 0,
        currentDate: new Date(now()),
      });
      const claims = payload as TesseraClaims;
      cache.set(token, claims, typeof claims.exp === 'number' ? claims.exp * 1000 : undefined, now());
      return claims;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new TokenRejectedError('EXPIRED', 'token expired');
      throw new TokenRejectedError('INVALID_TOKEN', error instanceof Error ? error.message : 'invalid token');
    }
  }

  return {
    async verify(token) {
      const claims = await verifySignature(token);
      if (sessions && typeof claims.sid === 'string') {
        let active: boolean;
        try {
          active = await sessions.isActive(claims.sid, token);
        } catch (error) {
          // Tessera unreachable and the session not known active: fail closed.
          throw new TokenRejectedError('SESSION_ENDED', `session state unknown: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (!active) throw new TokenRejectedError('SESSION_ENDED', 'session ended');
      }
      return claims;
    },
    get subscriptionState() {
      return sessions?.subscriptionState ?? 'closed';
    },
    close: async () => {
      cache.clear();
      await sessions?.close();
    },
  };
}

interface KeySet {
  verify(token: string, options: Parameters<typeof jwtVerify>[2]): Promise<{ payload: JWTPayload }>;
}

function secretKeys(secret: string | string[]): KeySet {
  const secrets = Array.isArray(secret) ? secret : [secret];
  // Imported once as WebCrypto keys: jose would import raw bytes again on every call.
  const imported = Promise.all(
    secrets.map((value) => crypto.subtle.importKey('raw', new TextEncoder().encode(value), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])),
  );
  return {
    async verify(token, verifyOptions) {
      const keys = await imported;
      let failure: unknown;
      for (const key of keys) {
        try {
          return await jwtVerify(token, key, verifyOptions);
        } catch (error) {
          // With several secrets, a bad signature under one is not yet a verdict.
          if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
          failure = error;
        }
      }
      throw failure;
    },
  };
}

function remoteKeys(jwksUrl: string, options: VerifierOptions): KeySet {
  const cooldownMs = options.jwksCooldownMs ?? 5_000;
  const jwks: JWTVerifyGetKey & { coolingDown?: boolean } = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: 10 * 60 * 1000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  return {
    async verify(token, verifyOptions) {
      try {
        return await jwtVerify(token, jwks, verifyOptions);
      } catch (error) {
        // A key rotated in just after the last fetch: its `kid` is unknown until the cooldown
        // allows the next fetch. Wait for it once rather than refuse a valid token.
        if (!(error instanceof errors.JWKSNoMatchingKey) || !jwks.coolingDown) throw error;
        await new Promise((resolve) => setTimeout(resolve, cooldownMs));
        return jwtVerify(token, jwks, verifyOptions);
      }
    },
  };
}

function managedSessions(issuer: string, managed: ManagedOptions, fetchImpl: typeof fetch, now: () => number): LiveSessions {
  const match = /^(.*)\/realms\/([^/]+)$/.exec(issuer);
  if (!match) throw new Error(`managed mode: the issuer must look like <PUBLIC_URL>/realms/<realmId>, not ${issuer}`);
  const endpoints = endpointsOf(managed.url ?? match[1]);
  const sessions = new LiveSessions({
    httpUrl: endpoints.http,
    wsUrl: endpoints.ws,
    realmId: decodeURIComponent(match[2]),
    adminKey: managed.adminKey,
    fallbackCacheMs: managed.fallbackCacheMs ?? 2_000,
    maxTrustMs: managed.maxTrustMs ?? 60_000,
    webSocketImpl: managed.webSocketImpl,
    backoff: managed.backoff,
    fetch: fetchImpl,
    now,
    onError: managed.onError,
  });
  void sessions.start();
  return sessions;
}
