import { Repeater } from 'graphql-yoga';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import type { SessionWatchers } from './session-watchers.js';

/**
 * Stream that yields the one TERMINATED event of a session, then ends. It starts listening on the
 * bus *before* it reads the session's current state, so a termination that lands in between is
 * never missed; a session that has already ended yields its event at once; and the local re-check
 * (SessionWatchers) covers events the bus lost. A Repeater, not an async generator: a client that
 * unsubscribes must release the bus subscription at once, not after the next event.
 */
export function watchTermination(
  events: SessionEvents,
  watchers: SessionWatchers,
  session: { id: string; realmId: string },
  currentEnding: () => Promise<SessionLifecycleEvent | null>,
): Repeater<SessionLifecycleEvent> {
  return new Repeater<SessionLifecycleEvent>(async (push, stop) => {
    let finished = false;
    const finish = (event: SessionLifecycleEvent) => {
      if (finished) return;
      finished = true;
      void push(event);
      stop();
    };
    const bus = events.subscribeSession(session.id)[Symbol.asyncIterator]();
    const local = watchers.wait(session.id, session.realmId);
    void local.ended.then(finish);
    void (async () => {
      try {
        for (let result = await bus.next(); !result.done && !finished; result = await bus.next()) {
          if (result.value.type === 'TERMINATED') finish(result.value);
        }
      } catch {
        // bus failure: the re-check still ends the wait
      }
    })();
    try {
      const ended = await currentEnding();
      if (ended) finish(ended);
    } catch (error) {
      stop(error);
    }
    await stop;
    finished = true;
    local.cancel();
    await bus.return?.();
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
