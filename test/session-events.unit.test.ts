import { describe, expect, it } from 'vitest';
import { createSessionPubSub, EVENTS_PER_MESSAGE, SessionEvents, type SessionLifecycleEvent } from '../src/events/session-events.js';

// The event bus between instances, without a server: two SessionEvents on one in-process
// EventTarget (what Redis is in production), and what travels over it.

function twoInstancesOnOneBus() {
  const bus = new EventTarget();
  const messages: string[] = [];
  const eventTarget = {
    addEventListener: bus.addEventListener.bind(bus),
    removeEventListener: bus.removeEventListener.bind(bus),
    dispatchEvent(event: Event) {
      messages.push(event.type);
      return bus.dispatchEvent(event);
    },
  };
  const a = new SessionEvents(createSessionPubSub({ eventTarget }));
  const b = new SessionEvents(createSessionPubSub({ eventTarget }));
  return { a, b, messages };
}

function terminations(count: number, realmId = 'rlm_a'): SessionLifecycleEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'TERMINATED',
    sessionId: `ses_${i}`,
    userId: `usr_${i % 7}`,
    realmId,
    reason: 'TERMINATED_BY_ADMIN',
    at: '2030-01-02T03:04:05.678Z',
  }));
}

async function take<T>(stream: AsyncIterable<T>, count: number): Promise<T[]> {
  const iterator = stream[Symbol.asyncIterator]();
  const taken: T[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value);
  }
  await iterator.return?.();
  return taken;
}

/** Lets the bus deliver what was published (its listeners run on later microtasks). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('session events between instances', () => {
  it('a realm-wide termination travels in a few batches, not one message per session', async () => {
    const { a, messages } = twoInstancesOnOneBus();
    const count = 2 * EVENTS_PER_MESSAGE + 500;
    a.publish(terminations(count));
    await settle();
    expect(messages.filter((topic) => topic === 'terminations')).toHaveLength(3);
    expect(messages.filter((topic) => topic === 'realm:rlm_a')).toHaveLength(3);
    expect(messages).toHaveLength(6);
  });

  it('what is published in one turn of the event loop goes out as one message per topic', async () => {
    const { a, messages } = twoInstancesOnOneBus();
    const [first, second, third] = terminations(3);
    a.publish([first]);
    a.publish([second]);
    a.publish([{ ...third, type: 'REFRESHED', reason: null }]);
    await settle();
    expect(messages.filter((topic) => topic === 'terminations')).toHaveLength(1);
    expect(messages.filter((topic) => topic === 'realm:rlm_a')).toHaveLength(1);
  });

  it('every instance hears every termination exactly once, the publisher at once and others from the bus', async () => {
    const { a, b } = twoInstancesOnOneBus();
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    a.onTerminations((events) => heardByA.push(...events.map((e) => e.sessionId)));
    b.onTerminations((events) => heardByB.push(...events.map((e) => e.sessionId)));
    const realmStreamOnB = take(b.subscribeRealm('rlm_a'), 2_501);
    const otherRealmOnB = b.subscribeRealm('rlm_other')[Symbol.asyncIterator]();
    const otherRealmEvent = otherRealmOnB.next();

    const ended = terminations(2_500);
    const created: SessionLifecycleEvent = { ...ended[0], type: 'CREATED', sessionId: 'ses_new', reason: null };
    a.publish([...ended, created]);
    // The publishing instance's own waits end before publish returns: no round trip through the bus.
    expect(heardByA).toEqual(ended.map((e) => e.sessionId));
    await settle();

    expect(heardByB).toEqual(ended.map((e) => e.sessionId));
    expect(heardByA).toHaveLength(2_500); // not again when the bus hands A its own batches back
    expect(heardByB).toHaveLength(2_500);
    expect(await realmStreamOnB).toEqual([...ended, created]);
    // Nothing of that realm reaches a stream of another one.
    expect(await Promise.race([otherRealmEvent.then(() => 'event'), settle().then(() => 'nothing')])).toBe('nothing');
    await otherRealmOnB.return?.();
  });

  it('an instance that stops listening hears nothing more', async () => {
    const { a, b } = twoInstancesOnOneBus();
    const heard: string[] = [];
    const stop = b.onTerminations((events) => heard.push(...events.map((e) => e.sessionId)));
    a.publish(terminations(1));
    await settle();
    stop();
    a.publish(terminations(2).slice(1));
    await settle();
    expect(heard).toEqual(['ses_0']);
  });
});
