import { Repeater } from '@repeaterjs/repeater';
import type { SessionLifecycleEvent } from '../events/session-events.js';
import { unauthenticated } from '../errors.js';
import type { SessionWatchers } from './session-watchers.js';

/**
 * Stream that yields the one TERMINATED event of a session, then ends. Hand-written rather than a
 * Repeater or an async generator: an idle forced-logout subscriber is the most common object on a
 * busy instance, and this one is a few fields and a wait in SessionWatchers. A client that
 * unsubscribes releases the wait at once.
 */
export function watchTermination(watchers: SessionWatchers, sessionId: string): AsyncIterableIterator<SessionLifecycleEvent> {
  return new TerminationStream(watchers, sessionId);
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

class TerminationStream implements AsyncIterableIterator<SessionLifecycleEvent> {
  /** The event, once it has arrived and until it is taken. */
  private event: SessionLifecycleEvent | null = null;
  private finished = false;
  /** A consumer waiting in next(). */
  private waiting: ((result: IteratorResult<SessionLifecycleEvent, undefined>) => void) | null = null;
  private readonly stopWaiting: () => void;

  constructor(watchers: SessionWatchers, sessionId: string) {
    // Once, whenever this instance learns the session ended (at once if it already had).
    this.stopWaiting = watchers.watch(sessionId, (event) => this.ended(event));
  }

  private ended(event: SessionLifecycleEvent): void {
    if (this.finished) return;
    this.finished = true;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting({ done: false, value: event });
    } else this.event = event;
  }

  next(): Promise<IteratorResult<SessionLifecycleEvent, undefined>> {
    if (this.event) {
      const value = this.event;
      this.event = null;
      return Promise.resolve({ done: false, value });
    }
    if (this.finished) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<SessionLifecycleEvent, undefined>> {
    this.finished = true;
    this.event = null;
    this.stopWaiting();
    this.waiting?.(DONE);
    this.waiting = null;
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<SessionLifecycleEvent, undefined>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SessionLifecycleEvent> {
    return this;
  }
}

/**
 * `stream`, for as long as the admin key it was opened with is not revoked: on the first pass of
 * the watchers that finds it revoked, the stream fails with UNAUTHENTICATED (over SSE too, where no
 * socket closes with the key). A consumer that stops early releases the check and the stream.
 */
export function whileAdminKeyLive<T>(watchers: SessionWatchers, keyId: string, stream: AsyncIterable<T>): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const events = stream[Symbol.asyncIterator]();
    const stopWatching = watchers.watchAdminKey(keyId, () => stop(unauthenticated('Credential revoked')));
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      stopWatching();
      void events.return?.();
    });
    while (!stopped) {
      const next = await events.next();
      if (next.done) break;
      await push(next.value);
    }
    stop();
  });
}

// Which session an operation ended up watching is known only after its resolver has checked access.
// A transport that must act on it (the WebSocket closes the socket of an ended session only after
// the operations watching that session have delivered their event) registers a listener on the
// operation's context; the resolver reports to it. Keyed weakly by the context object: nothing
// outlives the operation.
export type WatchListener = (sessionId: string | null) => void;
const watchListeners = new WeakMap<object, WatchListener>();

/** Transport side: be told which session the operation running with this context watches. */
export function onWatch(context: object, listener: WatchListener): void {
  watchListeners.set(context, listener);
}

/** Resolver side: this operation watches that session (null: no single session, e.g. a realm stream). */
export function reportWatch(context: object, sessionId: string | null): void {
  watchListeners.get(context)?.(sessionId);
}
