import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

type Listener = (event: CustomEvent) => void;

/**
 * EventTarget over Redis pub/sub for the session bus (typed-pubsub.ts), one channel per topic,
 * named `<prefix><topic>` (REDIS_PREFIX: two deployments on one Redis never hear each other). Written here
 * instead of @graphql-yoga/redis-event-target because that one leaves publish/subscribe promises
 * unhandled: while Redis is down they reject and would crash the process. Here a failed publish is
 * logged and dropped (the subscriber re-check catches up), and a mutation never waits on Redis.
 * Each message is parsed once per instance, however many local subscribers share its channel.
 */
export function createRedisEventTarget(opts: { publishClient: Redis; subscribeClient: Redis; logger: Logger; prefix: string }) {
  const { publishClient, subscribeClient, logger, prefix } = opts;
  /** Listeners by channel (the prefixed topic). */
  const listeners = new Map<string, Set<Listener>>();
  const warn = (what: string) => (error: Error) => logger.warn(`redis ${what} failed`, { error: error.message });

  subscribeClient.on('message', (channel: string, message: string) => {
    const callbacks = listeners.get(channel);
    if (!callbacks) return;
    let detail: unknown;
    try {
      detail = JSON.parse(message);
    } catch {
      return;
    }
    const event = new CustomEvent(channel.slice(prefix.length), { detail });
    for (const callback of callbacks) callback(event);
  });

  return {
    addEventListener(topic: string, listener: Listener | { handleEvent: Listener } | null) {
      if (!listener) return;
      const callback = typeof listener === 'function' ? listener : listener.handleEvent;
      const channel = prefix + topic;
      let callbacks = listeners.get(channel);
      if (!callbacks) {
        listeners.set(channel, (callbacks = new Set()));
        subscribeClient.subscribe(channel).catch(warn('subscribe'));
      }
      callbacks.add(callback);
    },
    removeEventListener(topic: string, listener: Listener | { handleEvent: Listener } | null) {
      if (!listener) return;
      const callback = typeof listener === 'function' ? listener : listener.handleEvent;
      const channel = prefix + topic;
      const callbacks = listeners.get(channel);
      if (!callbacks) return;
      callbacks.delete(callback);
      if (callbacks.size > 0) return;
      listeners.delete(channel);
      subscribeClient.unsubscribe(channel).catch(warn('unsubscribe'));
    },
    dispatchEvent(event: CustomEvent) {
      publishClient.publish(prefix + event.type, JSON.stringify(event.detail ?? null)).catch(warn('publish'));
      return true;
    },
  };
}
