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
