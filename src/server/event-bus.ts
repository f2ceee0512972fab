import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedisEventTarget } from '../events/redis-event-target.js';
import { SessionEvents, createSessionPubSub } from '../events/session-events.js';
import { CacheInvalidations } from '../events/cache-invalidations.js';

/** How long the start waits for Redis before it goes on without it (publishing then fails fast). */
const REDIS_READY_WAIT_MS = 5_000;

/** The session events of this instance, carried between instances by Redis when REDIS_URL is set. */
export interface EventBus {
  events: SessionEvents;
  /** What every instance must forget from its caches (users, API keys, signing keys). */
  invalidations: CacheInvalidations;
  /** Called after every reconnect of the bus (never without Redis). */
  onReconnect(listener: () => void): void;
  /** Hand what is pending to the bus, then disconnect from it. */
  close(): void;
}

interface RedisClients {
  publish: Redis;
  subscribe: Redis;
}

export async function connectEventBus(config: Config, logger: Logger): Promise<EventBus> {
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : null;
  const eventTarget = redis
    ? createRedisEventTarget({ publishClient: redis.publish, subscribeClient: redis.subscribe, logger, prefix: config.redisPrefix })
    : null;
  const pubsub = createSessionPubSub(eventTarget ? { eventTarget: eventTarget as never } : undefined);
  const events = new SessionEvents(pubsub);
  return {
    events,
    invalidations: new CacheInvalidations(eventTarget ? (eventTarget as never) : undefined),
    onReconnect(listener) {
      redis?.subscribe.on('ready', listener);
    },
    close() {
      events.flush();
      redis?.publish.disconnect();
      redis?.subscribe.disconnect();
    },
  };
}

async function connectRedis(url: string, logger: Logger): Promise<RedisClients> {
  // Publishing fails fast while Redis is down (logged and dropped: a mutation never waits on
  // Redis, and the subscriber re-check catches up). Subscribing queues until Redis is back, and
  // ioredis restores subscriptions on reconnect; live sessions are re-checked then (onReconnect).
  const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);
  const redis: RedisClients = {
    publish: new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy }),
    // No ready check on the subscriber: INFO is not allowed in subscriber mode after a reconnect.
    subscribe: new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true, enableReadyCheck: false, retryStrategy }),
  };
  // Listened to before the wait: a Redis that is down at start would otherwise print ioredis's
  // "Unhandled error event" with a stack for every retry.
  for (const client of [redis.publish, redis.subscribe]) {
    client.on('error', (error) => logger.warn('redis error', { error: error.message }));
  }
  await Promise.race([
    new Promise((resolve) => redis.publish.once('ready', resolve)),
    new Promise((resolve) => setTimeout(resolve, REDIS_READY_WAIT_MS).unref()),
  ]);
  return redis;
}
