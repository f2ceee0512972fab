import { isIPv6 } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import { sha256 } from './opaque-tokens.js';
import { ThrottleStore, type ThrottleCounter, type ThrottleSettlement } from './throttle-store.js';

export type { ThrottleSettlement } from './throttle-store.js';

/**
 * A failure counter: once `threshold` attempts inside the window failed, the key is blocked for
 * 2^(failures - threshold) seconds (1, 2, 4, … up to `maxBlockSeconds`); every further failure
 * made once a block ran out doubles the next one — up to `cutoff` failures, past which the counter
 * no longer blocks (until its window lapses).
 */
interface ThrottleRule {
  kind: 'account-ip' | 'account' | 'ip' | 'realm';
  threshold: number;
  maxBlockSeconds: number;
  cutoff: number | null;
  /** Applies to an address known to the account (one it logged in from before). */
  whenKnown: boolean;
  /** Charged before the password check (false: checked then, charged once the attempt failed). */
  chargeNow: boolean;
}

// Four counters, so that guessing is slow but the owner is never locked out by others:
// - one account from one address: strict (5 tries, then up to 15 minutes) — the only counter an
//   address that logged in to the account before (a *known* address) is subject to, so nothing
//   done from elsewhere keeps the owner out;
// - one account from anywhere (unknown addresses): 20 tries, blocks of at most 60 s, and no more
//   blocks past 40 failures in a window (about 15 minutes of blocks): a sprayer cannot renew it
//   forever, and the realm's budget takes over;
// - one address, any account of the realm (unknown addresses): 100 tries, then up to 15 minutes
//   (credential stuffing);
// - the realm's budget (unknown addresses): 120 failures in a 15-minute window, then blocks of up
//   to 60 s until the window ends — many addresses on many usernames. Charged once an attempt
//   failed (a success never touches this one row every login of the realm would share).
// All keys include the realm: tenants never share a counter, so abuse of one realm cannot lock out
// the users of another.
export const THROTTLE_RULES: ThrottleRule[] = [
  { kind: 'account-ip', threshold: 5, maxBlockSeconds: 900, cutoff: null, whenKnown: true, chargeNow: true },
  { kind: 'account', threshold: 20, maxBlockSeconds: 60, cutoff: 40, whenKnown: false, chargeNow: true },
  { kind: 'ip', threshold: 100, maxBlockSeconds: 900, cutoff: null, whenKnown: false, chargeNow: true },
  { kind: 'realm', threshold: 120, maxBlockSeconds: 60, cutoff: null, whenKnown: false, chargeNow: false },
];
export const THROTTLE_WINDOW_SECONDS = 900;
/** How long a successful login makes its address known to the account. */
export const KNOWN_ADDRESS_DAYS = 90;

export interface LoginAttempt {
  realmId: string;
  username: string;
  ip: string | null;
}

/**
 * The address as a throttling subject. An IPv6 client typically controls a whole /64 (SLAAC,
 * privacy addresses), so counting per address would hand it 2^64 fresh counters: count per /64.
 */
export function throttleSubject(ip: string | null): string {
  if (!ip) return 'unknown';
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  if (right.some((part) => part.includes('.'))) return ip; // IPv4-mapped/compatible: keep as is
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

type Keyed = { rule: ThrottleRule; key: string };

function keysOf(attempt: LoginAttempt, now: Date): Keyed[] {
  const account = `${attempt.realmId}:${attempt.username.trim().toLowerCase()}`;
  const ip = throttleSubject(attempt.ip);
  // The realm's budget counts per fixed window: a steady trickle of typos never adds up to it.
  const window = Math.floor(now.getTime() / (THROTTLE_WINDOW_SECONDS * 1000));
  const raw: Record<ThrottleRule['kind'], string> = {
    'account-ip': `account-ip:${account}:${ip}`,
    account: `account:${account}`,
    ip: `ip:${attempt.realmId}:${ip}`,
    realm: `realm:${attempt.realmId}:${window}`,
  };
  return THROTTLE_RULES.map((rule) => ({ rule, key: sha256(raw[rule.kind]) }));
}

const counterOf = ({ rule, key }: Keyed): ThrottleCounter => ({ ...rule, key });

/** What one allowed attempt was charged, for its outcome to settle. */
export interface ThrottleTicket {
  attempt: LoginAttempt;
  keys: Keyed[];
  known: boolean;
  charged: Set<string>;
}

/**
 * Login throttling backed by PostgreSQL, so every instance behind a load balancer shares it.
 *
 * An attempt is *charged* before its password is checked, and refunded when it succeeds. Counting
 * only after the (slow) argon2 verify would let an attacker fire hundreds of guesses at once: every
 * one of them would pass the check before the first failure was recorded. Charging is one upsert
 * per counter whose update applies only while the counter is not blocked — evaluated under the
 * row lock, so concurrent attempts see each other's charges and the one that reaches the threshold
 * blocks all that come after it. Whether the address is known to the account is read in the same
 * statement, so knowing costs no round trip.
 */
export class LoginThrottle {
  #store: ThrottleStore | undefined;

  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  private get store(): ThrottleStore {
    return (this.#store ??= new ThrottleStore(this.deps.em));
  }

  /** Settle a success in a statement of its own (where no session is opened to carry it). */
  settle(settlement: ThrottleSettlement): Promise<void> {
    return this.store.settle(settlement, this.deps.clock.now());
  }

  /**
   * Throws RATE_LIMITED (before any password hashing) when the attempt is blocked; otherwise counts
   * it as a failure until its success is settled. `alongside` (select-list expressions) is read in
   * the same statement, and returned.
   */
  async assertAllowed<Alongside extends object = object>(
    attempt: LoginAttempt,
    alongside: Sql | null = null,
  ): Promise<{ ticket: ThrottleTicket; read: Alongside }> {
    const now = this.deps.clock.now();
    const keys = keysOf(attempt, now);
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    const known = { key: keys[0].key, since: new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 86_400_000) };
    const charge = await this.store.charge<Alongside>(keys.map(counterOf), now, windowStart, known, alongside);
    if (charge.blockedUntil !== null) throw rateLimited((charge.blockedUntil - now.getTime()) / 1000);
    if (charge.charged.size < charge.expected) {
      // Blocked by a concurrent attempt meanwhile: this one was never made, so take back its counts.
      const refunds = keys.filter((k) => charge.charged.has(k.key)).map(({ rule, key }) => ({ key, threshold: rule.threshold }));
      if (refunds.length > 0) await this.store.settle({ known: null, refunds }, now);
      const until = await this.store.blockedUntil(
        keys.map((k) => k.key),
        now,
      );
      throw rateLimited(((until ?? now.getTime() + 1000) - now.getTime()) / 1000);
    }
    return { ticket: { attempt, keys, known: charge.known, charged: charge.charged }, read: charge.alongside };
  }

  /** A failed attempt: already counted where it was charged; an unknown address's also spends the realm's budget. */
  async recordFailure(ticket: ThrottleTicket): Promise<void> {
    if (ticket.known) return;
    const now = this.deps.clock.now();
    const later = ticket.keys.filter(({ rule }) => !rule.chargeNow).map((k) => ({ ...counterOf(k), chargeNow: true }));
    await this.store.charge(later, now, new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000), null, null);
  }

  /**
   * A successful login makes its address known to the account (and clears that address's
   * failures), and takes its other charges back. Returns what to settle, for the statement that
   * opens the session to do it in the same round trip (tessera_settle_login_throttle, called by
   * tessera_open_session).
   */
  settleSuccess(ticket: ThrottleTicket): ThrottleSettlement {
    const [accountIp, ...others] = ticket.keys;
    return {
      known: accountIp.key,
      refunds: others.filter((k) => ticket.charged.has(k.key)).map(({ rule, key }) => ({ key, threshold: rule.threshold })),
    };
  }
}

/**
 * Drop counters nobody has touched for a window, so the table does not grow without bound (every
 * username an attacker makes up leaves rows behind), keeping those that mark a known address. The
 * expiry sweeper runs it on every pass, off the login path.
 */
export function pruneThrottleCounters(em: EntityManager): Promise<number> {
  return new ThrottleStore(em).pruneIdle(THROTTLE_WINDOW_SECONDS, KNOWN_ADDRESS_DAYS);
}
// Failed OAuth client authentication (docs/oauth.md#limits), on the same shared counters: one
// client from one address, one client from anywhere, one address against any client of a realm.
const CLIENT_AUTH_RULES = [
  { name: 'client-ip', threshold: 10, maxBlockSeconds: 900 },
  { name: 'client', threshold: 50, maxBlockSeconds: 60 },
  { name: 'ip', threshold: 100, maxBlockSeconds: 900 },
] as const;

export interface ClientAuthAttempt {
  realmId: string;
  clientId: string;
  ip: string | null;
}

/**
 * Counts failed client authentications and says when they are blocked. Only failures are ever
 * charged or refused: a client secret has 256 random bits, so there is no guessing to slow down
 * that a block would stop, and refusing the right secret would let anyone who knows a client_id
 * (it is not secret) lock that client out. What the block does is turn a flood of wrong secrets
 * into cheap 429s that say so.
 */
export class ClientAuthThrottle {
  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  /** Charge one failure; the seconds to wait when the attempt's counters are blocked, else null. */
  async recordFailure(attempt: ClientAuthAttempt): Promise<number | null> {
    const now = this.deps.clock.now();
    const ip = throttleSubject(attempt.ip);
    const raw: Record<(typeof CLIENT_AUTH_RULES)[number]['name'], string> = {
      'client-ip': `oauth-client-ip:${attempt.realmId}:${attempt.clientId}:${ip}`,
      client: `oauth-client:${attempt.realmId}:${attempt.clientId}`,
      ip: `oauth-ip:${attempt.realmId}:${ip}`,
    };
    const counters = CLIENT_AUTH_RULES.map((rule) => ({ key: sha256(raw[rule.name]), threshold: rule.threshold, maxBlockSeconds: rule.maxBlockSeconds }));
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    const { blockedUntil } = await new ThrottleStore(this.deps.em).charge(counters, now, windowStart, null, null);
    return blockedUntil === null ? null : Math.max(1, Math.ceil((blockedUntil - now.getTime()) / 1000));
  }
}
