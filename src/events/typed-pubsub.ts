import { Repeater } from '@repeaterjs/repeater';

/** What a pub/sub runs over: an in-process EventTarget, or Redis (redis-event-target.ts). */
export interface PubSubEventTarget {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  dispatchEvent(event: Event): boolean;
}

/** Publish a payload on a topic; subscribe to the payloads of a topic, from now on. */
export interface PubSub<Topics extends Record<string, unknown>> {
  publish<Topic extends keyof Topics & string>(topic: Topic, payload: Topics[Topic]): void;
  subscribe<Topic extends keyof Topics & string>(topic: Topic): AsyncIterableIterator<Topics[Topic]>;
}

/**
 * A typed pub/sub over an EventTarget: a topic is an event type, a payload its `detail`. A
 * subscription is a Repeater, so a consumer that stops listening releases its listener at once.
 */
export function createPubSub<Topics extends Record<string, unknown>>(target: PubSubEventTarget = new EventTarget()): PubSub<Topics> {
  return {
    publish(topic, payload) {
      target.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    },
    subscribe<Topic extends keyof Topics & string>(topic: Topic) {
      return new Repeater<Topics[Topic]>((push, stop) => {
        // Only publish() dispatches on these topics, always a CustomEvent.
        const listener = (event: Event) => void push((event as CustomEvent<Topics[Topic]>).detail);
        target.addEventListener(topic, listener);
        void stop.then(() => target.removeEventListener(topic, listener));
      });
    },
  };
}
