// The only module that reads process.env. Everything else receives a parsed, validated Config.
import { readFileSync } from 'node:fs';
import { DEFAULT_PASSWORD_HASH_COST, MIN_MEMORY_KIB, MIN_MEMORY_KIB_PASSES, type PasswordHashCost } from './auth/password.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | null;
  /** Directory of the embedded database; 'memory://' keeps it in memory (tests). */
  dataDir: string;
  redisUrl: string | null;
  /** Put before every Redis channel (and key) name: deployments sharing one Redis stay apart. */
  redisPrefix: string;
  bootstrapAdminKey: string | null;
  /** KEY_ENCRYPTION_KEY: the first seals signing keys at rest, the others only open (rotation). */
  keyEncryptionKeys: string[];
  allowedOrigins: string[];
  /** How many proxy hops in front of us to trust for X-Forwarded-For (0 = ignore the header). */
  trustProxyHops: number;
  logLevel: LogLevel;
  production: boolean;
  refreshGraceSeconds: number;
  sweepIntervalSeconds: number;
  /** How often live subscriptions re-check their sessions in the database (lost-event safety net). */
  subscriptionRecheckSeconds: number;
  /** How often WebSockets are pinged; a socket that misses one ping is closed as dead. */
  wsKeepAliveSeconds: number;
  /** WebSockets one managed session may hold open on one instance (the next closes with 4429). */
  wsMaxConnectionsPerSession: number;
  /** WebSockets one user may hold open on one instance, over all its sessions and tokens. */
  wsMaxConnectionsPerUser: number;
  /** Days ended sessions (and their refresh tokens) are kept; 0 = forever. */
  sessionRetentionDays: number;
  /** Days audit events are kept; 0 = forever. */
  auditRetentionDays: number;
  /** argon2id cost of new password hashes; stored hashes of another cost are redone at login. */
  passwordHashCost: PasswordHashCost;
  /**
   * Seconds a stopping instance keeps serving — /ready 503, `Connection: close` on every answer —
   * before it closes its sockets and listener, so a load balancer takes it out of rotation first.
   */
  shutdownDrainSeconds: number;
  /** Serve the admin console at /console. */
  consoleEnabled: boolean;
  /** How often each instance reads the durable event record for what the bus did not bring. */
  eventCatchUpSeconds: number;
  /** How far back (hours) a feed may resume from a cursor. */
  eventRetentionHours: number;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: outbound URLs may point at loopback and private addresses (tests, private deployments). */
  webhookAllowPrivateTargets: boolean;
  /** How often each instance fans new events out to webhooks and claims due deliveries. */
  webhookPollSeconds: number;
  /** METRICS_TOKEN: the Bearer token /metrics requires (null: none). */
  metricsToken: string | null;
  /** METRICS_ADDRESS: /metrics on a listener of its own (and not on the main port); null: on the main port. */
  metricsAddress: { host: string; port: number } | null;
  /** PASSWORD_MIN_LENGTH: the fewest characters a new password may have. */
  passwordMinLength: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function passwordHashCost(env: Env): PasswordHashCost {
  const cost: PasswordHashCost = {
    // Up to 1 GiB a hash: one runs per core at once, and each holds its memory for its whole run.
    memoryKib: integer(env, 'PASSWORD_HASH_MEMORY_KIB', DEFAULT_PASSWORD_HASH_COST.memoryKib, MIN_MEMORY_KIB, 1_048_576),
    iterations: integer(env, 'PASSWORD_HASH_ITERATIONS', DEFAULT_PASSWORD_HASH_COST.iterations, 1, 64),
    parallelism: integer(env, 'PASSWORD_HASH_PARALLELISM', DEFAULT_PASSWORD_HASH_COST.parallelism, 1, 16),
  };
  if (cost.memoryKib * cost.iterations < MIN_MEMORY_KIB_PASSES) {
    throw new ConfigError(
      'PASSWORD_HASH_ITERATIONS',
      `${cost.iterations} passes over ${cost.memoryKib} KiB is weaker than OWASP's weakest argon2id profile (memory × passes must be at least ${MIN_MEMORY_KIB_PASSES} KiB, e.g. 7168 KiB × 5 or 19456 KiB × 2)`,
    );
  }
  return cost;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function trustProxy(env: Env): number {
  const raw = env.TRUST_PROXY?.trim().toLowerCase();
  if (!raw || raw === 'false' || raw === '0') return 0;
  if (raw === 'true') return 1;
  if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
  throw new ConfigError('TRUST_PROXY', `must be false, true or a number of proxy hops (0-10), got "${env.TRUST_PROXY}"`);
}

/**
 * REDIS_PREFIX: letters, digits and `:_.-` (a name, not a pattern: `*` or `?` would make a channel
 * name that a pattern subscription of another deployment matches).
 */
function redisPrefix(env: Env): string {
  const raw = env.REDIS_PREFIX?.trim();
  if (!raw) return 'tessera:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(raw)) throw new ConfigError('REDIS_PREFIX', `must be 1-64 letters, digits or ":_.-", got "${env.REDIS_PREFIX}"`);
  return raw;
}

/** The variables that may also be given as a file (`<NAME>_FILE`), as Docker and Kubernetes secrets are. */
export const FILE_VARIABLES = ['DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'BOOTSTRAP_ADMIN_KEY', 'REDIS_URL', 'METRICS_TOKEN'] as const;

/** METRICS_TOKEN: printable, no spaces (it travels in a header), long enough not to be guessed. */
function metricsToken(env: Env): string | null {
  const raw = env.METRICS_TOKEN?.trim();
  if (!raw) return null;
  if (!/^[\x21-\x7e]{16,512}$/.test(raw))
    throw new ConfigError('METRICS_TOKEN', 'must be 16-512 printable characters without spaces, e.g. $(openssl rand -hex 24)');
  return raw;
}

/** METRICS_ADDRESS: `host:port`, `[ipv6]:port` or a bare `port` (then on HOST). */
function metricsAddress(env: Env, host: string): { host: string; port: number } | null {
  const raw = env.METRICS_ADDRESS?.trim();
  if (!raw) return null;
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new ConfigError('METRICS_ADDRESS', `must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:9464, got "${raw}"`);
  return { host: match[1] ?? match[2] ?? host, port };
}

/** `NAME_FILE=/run/secrets/x` stands for `NAME=<the file's content>`, without its trailing newline. */
function withFileVariables(env: Env): Env {
  const resolved = { ...env };
  for (const name of FILE_VARIABLES) {
    const path = env[`${name}_FILE`]?.trim();
    if (!path) continue;
    if (env[name]?.trim()) throw new ConfigError(`${name}_FILE`, `set ${name} or ${name}_FILE, not both`);
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`${name}_FILE`, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  return resolved;
}

/**
 * `listening.port`: the port the server will really listen on, when PORT=0 asked for any free one
 * (main.ts picks it before building the app), so that issuers and JWKS URLs name a port that answers.
 */
export function loadConfig(rawEnv: Env = process.env, listening: { port?: number } = {}): Config {
  const env = withFileVariables(rawEnv);
  const port = listening.port ?? integer(env, 'PORT', 4000, 0, 65535);
  const publicUrl = (url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');

  const bootstrapAdminKey = bootstrapKey(env);

  const keyEncryptionKeys = (env.KEY_ENCRYPTION_KEY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keyEncryptionKeys.some((key) => key.length < 32)) {
    throw new ConfigError('KEY_ENCRYPTION_KEY', 'every key must be at least 32 characters');
  }

  const allowedOrigins: string[] = [];
  for (const entry of (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)) {
    if (entry === '*') {
      allowedOrigins.push(entry);
      continue;
    }
    let origin: string;
    try {
      const parsed = new URL(entry);
      if (!['http:', 'https:'].includes(parsed.protocol) || parsed.pathname !== '/' || parsed.search || parsed.hash) throw new Error('not an origin');
      origin = parsed.origin; // normalised: no trailing slash, lower-case host
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `"${entry}" is not an origin like https://app.example.com`);
    }
    allowedOrigins.push(origin);
  }

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of debug, info, warn, error, silent, got "${env.LOG_LEVEL}"`);
  }

  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${nodeEnv}"`);
  }

  return {
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    publicUrl,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: env.DATA_DIR?.trim() || './.data',
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: redisPrefix(env),
    bootstrapAdminKey,
    keyEncryptionKeys,
    allowedOrigins,
    trustProxyHops: trustProxy(env),
    logLevel,
    production: nodeEnv === 'production',
    refreshGraceSeconds: integer(env, 'REFRESH_GRACE_SECONDS', 10, 0, 300),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 15, 1, 3600),
    subscriptionRecheckSeconds: integer(env, 'SUBSCRIPTION_RECHECK_SECONDS', 30, 1, 3600),
    wsKeepAliveSeconds: integer(env, 'WS_KEEPALIVE_SECONDS', 12, 1, 3600),
    wsMaxConnectionsPerSession: integer(env, 'WS_MAX_CONNECTIONS_PER_SESSION', 20, 1, 10_000),
    wsMaxConnectionsPerUser: integer(env, 'WS_MAX_CONNECTIONS_PER_USER', 100, 1, 100_000),
    sessionRetentionDays: integer(env, 'SESSION_RETENTION_DAYS', 30, 0, 36500),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 365, 0, 36500),
    passwordHashCost: passwordHashCost(env),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', 5, 0, 60),
    consoleEnabled: boolean(env, 'CONSOLE_ENABLED', true),
    eventCatchUpSeconds: integer(env, 'EVENT_CATCHUP_SECONDS', 1, 1, 60),
    eventRetentionHours: integer(env, 'EVENT_RETENTION_HOURS', 72, 1, 8760),
    webhookAllowPrivateTargets: boolean(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    webhookPollSeconds: integer(env, 'WEBHOOK_POLL_SECONDS', 1, 1, 3600),
    metricsToken: metricsToken(env),
    metricsAddress: metricsAddress(env, env.HOST?.trim() || '0.0.0.0'),
    passwordMinLength: integer(env, 'PASSWORD_MIN_LENGTH', 8, 8, 128),
  };
}

/** BOOTSTRAP_ADMIN_KEY, refused at start when it could never authenticate. */
function bootstrapKey(env: Env): string | null {
  const bootstrapAdminKey = env.BOOTSTRAP_ADMIN_KEY?.trim() || null;
  if (bootstrapAdminKey !== null && bootstrapAdminKey.length < 32) {
    throw new ConfigError('BOOTSTRAP_ADMIN_KEY', 'must be at least 32 characters');
  }
  // Admin keys are told from login tokens by their prefix (auth/authenticate.ts): a key without it
  // would be checked as a JWT and could never authenticate.
  if (bootstrapAdminKey !== null && !/^tsa_[\x21-\x7e]+$/.test(bootstrapAdminKey)) {
    throw new ConfigError(
      'BOOTSTRAP_ADMIN_KEY',
      'must start with "tsa_" and hold no spaces, e.g. tsa_$(openssl rand -hex 24): without the prefix it could never authenticate',
    );
  }
  return bootstrapAdminKey;
}
