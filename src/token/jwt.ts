import { webcrypto, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, exportJWK, importPKCS8, importSPKI, jwtVerify, errors as joseErrors, type JWK } from 'jose';
import type { Logger } from '../logger.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createSigner } from 'fast-jwt';
import { TtlCache } from '../ttl-cache.js';
import { SigningKey, type JwtAlgorithm } from '../db/entities/index.js';
import { findActiveSigningKey } from '../realm/signing-keys.js';
import type { SigningKeySealer } from '../realm/signing-key-sealer.js';
import { ROTATION_GRACE_SECONDS, type TokenLifetimes } from '../realm/token-lifetimes.js';
import type { Clock } from '../clock.js';

/** Tokens above this size are refused before any parsing or crypto (cheap DoS guard). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Tolerated clock skew between Tessera instances and relying parties. */
const CLOCK_SKEW_SECONDS = 30;
// How long "which key signs for this realm" is cached. Another instance that rotates the key says
// so on the bus (forgetRealmKeys); without the bus we keep signing with the previous key until this
// runs out, which the rotation grace covers (realm/token-lifetimes.ts ROTATION_GRACE_SECONDS).
const ACTIVE_KEY_TTL_MS = 5_000;
// How long what a key may verify (its rotation, deadline, lifetimes) is trusted without reading its
// row again: the bound on a retirement made on another instance while the bus is down.
const KEY_STATE_TTL_MS = 5_000;
/** The only header a login token has: `alg`, `typ: "JWT"`, `kid` (docs/concepts.md#login-tokens). */
const HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);
const MAX_CACHED_KEYS = 10_000;
const KID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;
/** How many checked tokens are remembered, and for how long (see `verifiedTokens`). */
const VERIFIED_TOKENS = { maxEntries: 50_000, ttlMs: 3_600_000 };

/** What a key may still verify; changes when it is rotated or retired, or the realm's lifetimes widen. */
interface KeyState {
  /** When it stopped signing (ms), or null. */
  retiredAt: number | null;
  /** After this (ms) it verifies nothing, or null. */
  verifiesUntil: number | null;
  lifetimes: TokenLifetimes;
  /** When this was read (Date.now() ms; 0: read again before use). */
  readAt: number;
}

interface ImportedKey {
  kid: string;
  realmId: string;
  algorithm: JwtAlgorithm;
  state: KeyState;
  /** Claims → compact JWS, with `alg`, `typ: JWT` and this `kid` in the header. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** The same with `typ: logout+jwt` (back-channel logout tokens). */
  signLogout(claims: Record<string, unknown>): Promise<string>;
  verificationKey: CryptoKey | KeyObject;
}

export type TokenClaims = Record<string, unknown> & {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp?: number;
  sid?: string;
  /** The API key an API user's token came from. */
  akid?: string;
};

export type TokenCheck = { valid: true; claims: TokenClaims; realmId: string; kid: string } | { valid: false; reason: TokenRejection };

export type TokenRejection =
  | 'TOKEN_TOO_LARGE'
  | 'MALFORMED'
  | 'UNKNOWN_KEY'
  | 'ALGORITHM_MISMATCH'
  | 'UNSUPPORTED_HEADER'
  | 'INVALID_SIGNATURE'
  | 'WRONG_ISSUER'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'INVALID_CLAIMS'
  /** Signed with a key that was retired, rotated before the token's iat, or past its deadline. */
  | 'KEY_RETIRED'
  /** exp − iat longer than the realm's settings allowed while the key signed. */
  | 'LIFETIME_EXCEEDED';

export function realmIssuer(publicUrl: string, realmId: string): string {
  return `${publicUrl}/realms/${realmId}`;
}

/**
 * Signs and verifies login tokens. Keys are imported into jose once and cached (importing per call
 * halves throughput); verification trusts nothing in the token header but the `kid`, and pins the
 * algorithm to the one that key was made for — which is what defeats `alg: none` and the
 * HS256-signed-with-the-public-key swap.
 */
export class TokenKeys {
  private readonly byKid = new Map<string, Promise<ImportedKey | null>>();
  /** The keys imported so far, by kid (their state is marked stale by forgetRealmKeys). */
  private readonly imported = new Map<string, ImportedKey>();
  private readonly activeByRealm = new Map<string, { kid: string; loadedAt: number }>();
  /**
   * Every token that passed the full check, by its exact (canonical) string: a client presents the
   * same access token on each request for its whole lifetime, and WebCrypto's HMAC verify costs more
   * than the rest of a token check together. Sound because everything checked but time and
   * the key's state is fixed by the token's bytes and its key — a kid's key material never changes and
   * keys are never deleted — so a hit re-checks exp/nbf/iat against the clock and the key's retirement.
   */
  private readonly verifiedTokens = new TtlCache<{ claims: TokenClaims; realmId: string; kid: string }>(VERIFIED_TOKENS);

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    private readonly publicUrl: string,
    /** Signing-key material is stored sealed when KEY_ENCRYPTION_KEY is set; opened here, on import. */
    readonly sealer: SigningKeySealer,
    /** Told why a token of one of our keys was refused where that helps an operator (issuer mismatch). */
    private readonly logger?: Logger,
  ) {}

  private async importKey(row: SigningKey): Promise<ImportedKey> {
    const key = await this.importMaterial(row);
    this.imported.set(key.kid, key);
    return key;
  }

  private async importMaterial(row: SigningKey): Promise<ImportedKey> {
    const state = stateOf(row);
    if (row.algorithm === 'HS256') {
      const secret = Buffer.from(this.sealer.open(row.id, row.secret ?? ''), 'utf8');
      // Signed with fast-jwt (node's HMAC, ~10 µs) rather than jose, whose WebCrypto HMAC costs
      // ~100 µs a token — on every login and refresh. Verification stays with jose (and is
      // remembered per token, see verifiedTokens), with a WebCrypto key: jose converts a KeyObject
      // to a CryptoKey on every call.
      const signer = createSigner({ key: secret, algorithm: 'HS256', kid: row.id });
      return {
        kid: row.id,
        realmId: row.realmId,
        algorithm: 'HS256',
        state,
        sign: async (claims) => signer(claims),
        signLogout: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt', kid: row.id }).sign(secret),
        verificationKey: await webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
      };
    }
    // RSA signing costs ~1 ms: jose runs it on the thread pool, off the event loop.
    const privateKey = await importPKCS8(this.sealer.open(row.id, row.privateKeyPem ?? ''), 'RS256');
    return {
      kid: row.id,
      realmId: row.realmId,
      algorithm: 'RS256',
      state,
      sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: row.id }).sign(privateKey),
      signLogout: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: row.id }).sign(privateKey),
      verificationKey: await importSPKI(row.publicKeyPem ?? '', 'RS256'),
    };
  }

  private keyByKid(kid: string): Promise<ImportedKey | null> {
    let pending = this.byKid.get(kid);
    if (!pending) {
      if (this.byKid.size >= MAX_CACHED_KEYS) {
        this.byKid.clear();
        this.imported.clear();
      }
      pending = (async () => {
        const row = await this.orm.em.fork().findOne(SigningKey, { id: kid });
        return row ? this.importKey(row) : null;
      })();
      // Unknown kids are not cached: a flood of random kids must not evict real keys.
      pending.then(
        (key) => key ?? this.byKid.delete(kid),
        () => this.byKid.delete(kid),
      );
      this.byKid.set(kid, pending);
    }
    return pending;
  }

  /**
   * Forget which key signs for a realm and what its keys may verify: after a rotation, a
   * retirement, an algorithm change or a settings change, here or (over the bus) on another instance.
   */
  forgetRealmKeys(realmId: string): void {
    this.activeByRealm.delete(realmId);
    for (const key of this.imported.values()) if (key.realmId === realmId) key.state.readAt = 0;
  }

  /** The key's state, read again when it is older than KEY_STATE_TTL_MS or was marked stale. */
  private async currentState(key: ImportedKey): Promise<KeyState> {
    if (Date.now() - key.state.readAt < KEY_STATE_TTL_MS) return key.state;
    const row = await this.orm.em.fork().findOne(SigningKey, { id: key.kid });
    // A key that is gone verifies nothing.
    key.state = row ? stateOf(row) : { ...key.state, verifiesUntil: 0, readAt: Date.now() };
    return key.state;
  }

  private async activeKey(realmId: string): Promise<ImportedKey> {
    const cached = this.activeByRealm.get(realmId);
    if (cached && Date.now() - cached.loadedAt < ACTIVE_KEY_TTL_MS) {
      const key = await this.keyByKid(cached.kid);
      if (key && key.state.retiredAt === null) return key;
    }
    const row = await findActiveSigningKey(this.orm.em.fork(), realmId);
    if (!row) throw new Error(`realm ${realmId} has no signing key`);
    this.activeByRealm.set(realmId, { kid: row.id, loadedAt: Date.now() });
    const key = await this.keyByKid(row.id);
    if (!key) throw new Error(`signing key ${row.id} vanished`);
    return key;
  }

  async sign(realmId: string, claims: Omit<TokenClaims, 'iss'>): Promise<string> {
    const key = await this.activeKey(realmId);
    return key.sign({ ...claims, iss: realmIssuer(this.publicUrl, realmId) });
  }

  /**
   * An OpenID Connect back-channel logout token (docs/oauth.md#back-channel-logout), signed with the
   * realm's key like a login token but with `typ: logout+jwt`: verify() refuses that header, so a
   * logout token can never pass for a login token.
   */
  async signLogoutToken(
    realmId: string,
    claims: Record<string, unknown> & { aud: string; sub: string; sid: string; jti: string; iat: number; exp: number },
  ): Promise<string> {
    const key = await this.activeKey(realmId);
    return key.signLogout({ ...claims, iss: realmIssuer(this.publicUrl, realmId) });
  }

  /**
   * Signature and claims only; whether a managed session is still ACTIVE is the caller's check.
   * `at`: the time to check the token's times against (now by default; see ended-session-token.ts).
   */
  async verify(token: string, at?: Date): Promise<TokenCheck> {
    if (token.length > MAX_TOKEN_BYTES || Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) return { valid: false, reason: 'TOKEN_TOO_LARGE' };
    const now = at ?? this.clock.now();
    const verified = this.verifiedTokens.get(token, now.getTime());
    if (verified) {
      const key = this.imported.get(verified.kid) ?? (await this.keyByKid(verified.kid));
      const rejection = timeRejection(verified.claims, now) ?? (key ? keyRejection(await this.currentState(key), verified.claims, now) : 'UNKNOWN_KEY');
      return rejection ? { valid: false, reason: rejection } : { valid: true, ...verified };
    }
    if (!isCanonicalCompactJws(token)) return { valid: false, reason: 'MALFORMED' };
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { valid: false, reason: 'MALFORMED' };
    }
    // Our kids are short base64url ids; anything else cannot name one of our keys, and must not reach
    // the key lookup (a NUL byte, for one, is a database error rather than "not found").
    if (typeof header.kid !== 'string' || !KID_SHAPE.test(header.kid)) return { valid: false, reason: 'UNKNOWN_KEY' };
    // We never issue tokens that point at their own keys; one that does is forged.
    if ('jku' in header || 'x5u' in header || 'jwk' in header || 'x5c' in header) {
      return { valid: false, reason: 'UNSUPPORTED_HEADER' };
    }
    const key = await this.keyByKid(header.kid);
    if (!key) return { valid: false, reason: 'UNKNOWN_KEY' };
    if (header.alg !== key.algorithm) return { valid: false, reason: 'ALGORITHM_MISMATCH' };

    try {
      const { payload } = await jwtVerify(token, key.verificationKey, {
        algorithms: [key.algorithm],
        issuer: realmIssuer(this.publicUrl, key.realmId),
        requiredClaims: ['sub', 'iat', 'jti'],
        currentDate: now,
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      if (typeof payload.iat !== 'number') return { valid: false, reason: 'NOT_YET_VALID' };
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return { valid: false, reason: 'INVALID_CLAIMS' };
      // Checked after the signature, so a forged header is reported as what it is: not signed by us.
      // (`b64: false` would change what the signature covers; `crit` names extensions we never use.)
      if (header.typ !== 'JWT' || Object.keys(header).some((name) => !HEADER_PARAMETERS.has(name))) {
        return { valid: false, reason: 'UNSUPPORTED_HEADER' };
      }
      const rejection = timeRejection(payload, now) ?? keyRejection(await this.currentState(key), payload as TokenClaims, now);
      if (rejection) return { valid: false, reason: rejection };
      // Frozen: every later request presenting this token shares the object.
      const check = { claims: deepFreeze(payload) as TokenClaims, realmId: key.realmId, kid: key.kid };
      // A token dropped from here (old or crowded out) is just verified again.
      this.verifiedTokens.set(token, check, now.getTime());
      return { valid: true, ...check };
    } catch (error) {
      const reason = rejectionOf(error);
      // Our key, another issuer: almost always two instances with different PUBLIC_URLs sharing a
      // database (README: running two instances). The caller only hears "Invalid or expired token".
      if (reason === 'WRONG_ISSUER' && this.logger?.enabled('debug')) {
        const got = (error as InstanceType<typeof joseErrors.JWTClaimValidationFailed>).payload?.iss;
        this.logger.debug('token refused: issuer mismatch', {
          expected: realmIssuer(this.publicUrl, key.realmId),
          got: typeof got === 'string' ? got.slice(0, 200) : null,
          kid: key.kid,
        });
      }
      return { valid: false, reason };
    }
  }

  /** Public JWKs of the RS256 keys among `rows` (those that still verify), for /realms/<id>/.well-known/jwks.json. */
  async publicJwks(rows: SigningKey[]): Promise<JWK[]> {
    const jwks: JWK[] = [];
    for (const row of rows) {
      if (row.algorithm !== 'RS256' || !row.publicKeyPem) continue;
      const jwk = await exportJWK(await importSPKI(row.publicKeyPem, 'RS256', { extractable: true }));
      jwks.push({ ...jwk, kid: row.id, alg: 'RS256', use: 'sig' });
    }
    return jwks;
  }
}

const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;

/**
 * Exactly three base64url segments, each in its one canonical spelling. Decoders are lenient —
 * they skip whitespace and ignore the unused low bits of the last character — so without this one
 * signature has several spellings, and anything keyed on the token string (a deny list, a cache,
 * a log search) can be sidestepped with a token that still verifies.
 */
function isCanonicalCompactJws(token: string): boolean {
  const match = COMPACT_JWS.exec(token);
  if (!match) return false;
  return match.slice(1).every((segment) => Buffer.from(segment, 'base64url').toString('base64url') === segment);
}

function stateOf(row: SigningKey): KeyState {
  return {
    retiredAt: row.retiredAt?.getTime() ?? null,
    verifiesUntil: row.verifiesUntil?.getTime() ?? null,
    lifetimes: row.tokenLifetimes,
    readAt: Date.now(),
  };
}

/**
 * What the key allows (docs/security.md#signing-keys): nothing past its deadline; after its
 * rotation only tokens issued before it (within the rotation grace); and of each kind of token —
 * managed (`sid`), API (`akid`), unmanaged — only the kinds it signed, no longer-lived than the
 * realm's settings allowed while it signed, and without `exp` only when those were open-ended.
 */
function keyRejection(state: KeyState, claims: TokenClaims, now: Date): TokenRejection | null {
  if (state.verifiesUntil !== null && now.getTime() >= state.verifiesUntil) return 'KEY_RETIRED';
  if (state.retiredAt !== null && claims.iat * 1000 > state.retiredAt + ROTATION_GRACE_SECONDS * 1000) return 'KEY_RETIRED';
  const { sid, akid, exp, iat } = claims;
  if (sid !== undefined && typeof sid !== 'string') return 'INVALID_CLAIMS';
  if (akid !== undefined && (typeof akid !== 'string' || sid !== undefined)) return 'INVALID_CLAIMS';
  const allowed = sid !== undefined ? state.lifetimes.managed : akid !== undefined ? state.lifetimes.api : state.lifetimes.unmanaged;
  // A kind of token the key never signed (a human token without sid from a managed realm's key).
  if (allowed === null) return 'INVALID_CLAIMS';
  if (exp === undefined) return allowed === 'open' ? null : 'INVALID_CLAIMS';
  if (typeof exp !== 'number') return 'INVALID_CLAIMS';
  return allowed !== 'open' && exp - iat > allowed ? 'LIFETIME_EXCEEDED' : null;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The time-dependent claims, in jose's order and with its semantics and our skew tolerance: nbf in
 * the future, exp passed, then iat in the future. (jwtVerify checks nbf and exp too; a remembered
 * token needs them checked again.)
 */
function timeRejection(claims: { exp?: unknown; nbf?: unknown; iat?: unknown }, now: Date): TokenRejection | null {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + CLOCK_SKEW_SECONDS) return 'NOT_YET_VALID';
  if (typeof claims.exp === 'number' && claims.exp <= nowSeconds - CLOCK_SKEW_SECONDS) return 'EXPIRED';
  if (typeof claims.iat === 'number' && claims.iat > nowSeconds + CLOCK_SKEW_SECONDS) return 'NOT_YET_VALID';
  return null;
}

function rejectionOf(error: unknown): TokenRejection {
  if (error instanceof joseErrors.JWTExpired) return 'EXPIRED';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'WRONG_ISSUER';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'NOT_YET_VALID';
    return 'INVALID_CLAIMS';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'INVALID_SIGNATURE';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'ALGORITHM_MISMATCH';
  return 'MALFORMED';
}
