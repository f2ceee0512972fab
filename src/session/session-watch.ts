import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';

/**
 * Stream that yields the one TERMINATED event of a session, then ends. It starts listening
 * *before* it reads the session's current state, so a termination that lands in between is never
 * missed; a session that has already ended yields its event at once.
 */
export async function* watchTermination(
  events: SessionEvents,
  sessionId: string,
  currentEnding: () => Promise<SessionLifecycleEvent | null>,
): AsyncGenerator<SessionLifecycleEvent> {
  const iterator = events.subscribeSession(sessionId)[Symbol.asyncIterator]();
  let pending = iterator.next(); // starts the subscription
  try {
    const ended = await currentEnding();
    if (ended) {
      yield ended;
      return;
    }
    for (let result = await pending; !result.done; result = await pending) {
      if (result.value.type === 'TERMINATED') {
        yield result.value;
        return;
      }
      pending = iterator.next();
    }
  } finally {
    await iterator.return?.();
  }
}
