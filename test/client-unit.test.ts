import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../client/src/shared/backoff.js';
import { TerminationWatch } from '../client/src/browser/termination-watch.js';
import { RefreshScheduler, refreshTime } from '../client/src/browser/refresh-scheduler.js';
import { TabCoordinator, type ChannelLike, type LockManagerLike, type TabMessage } from '../client/src/browser/tab-coordinator.js';
import { VerifiedTokenCache } from '../client/src/node/token-cache.js';
import { bearerToken } from '../client/src/node/middleware.js';
import { localStorageAdapter, memoryStorage, type StoredTokens } from '../client/src/browser/storage.js';

// @tessera/client's timing parts with fake timers: the refresh scheduler, the reconnection
// backoff and the election of the one tab that refreshes. The whole client runs against a real
// server in test/client-browser.test.ts (Chromium) and test/client-node.test.ts.

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-04T12:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('refresh scheduler', () => {
  it('refreshes a fifth of the lifetime ahead, between 5 and 60 seconds, or as told', () => {
    const t = Date.now();
    expect(refreshTime(t, t + 300_000)).toBe(t + 240_000); // 5 min token: 60 s ahead
    expect(refreshTime(t, t + 30_000)).toBe(t + 24_000); // 30 s token: 6 s ahead
    expect(refreshTime(t, t + 10_000)).toBe(t + 5_000); // at least 5 s ahead
    expect(refreshTime(t, t + 3_600_000)).toBe(t + 3_540_000); // at most 60 s ahead
    expect(refreshTime(t, t + 30_000, 20)).toBe(t + 10_000);
    expect(refreshTime(t, t + 2_000, 20)).toBe(t + 1_000); // never sooner than 1 s after receipt
  });

  it('runs once at the due time; rescheduling replaces the timer', () => {
    const run = vi.fn();
    const scheduler = new RefreshScheduler(run);
    scheduler.scheduleAt(Date.now() + 10_000);
    scheduler.scheduleAt(Date.now() + 20_000);
    vi.advanceTimersByTime(19_999);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(scheduler.scheduledAt).toBeUndefined();
  });

  it('a due time in the past runs on the next tick; cancel stops it', () => {
    const run = vi.fn();
    const scheduler = new RefreshScheduler(run);
    scheduler.scheduleAt(Date.now() - 5_000);
    vi.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);
    scheduler.scheduleAt(Date.now() + 1_000);
    scheduler.cancel();
    vi.advanceTimersByTime(5_000);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('after a sleep the clock jumped past the due time while the timer did not fire: catchUp runs it', () => {
    const run = vi.fn();
    let now = Date.now();
    const scheduler = new RefreshScheduler(run, () => now);
    scheduler.scheduleAt(now + 10_000);
    scheduler.catchUp(); // not due yet
    expect(run).not.toHaveBeenCalled();
    now += 60_000; // the device slept: wall clock moved, timers did not
    scheduler.catchUp();
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(run).toHaveBeenCalledTimes(1); // the late timer does not run it twice
  });
});

/**
 * A WebSocket class for a network where no connection succeeds: each socket closes abnormally
 * (1006) at once, as a browser's does for an unreachable server, so graphql-ws retries with the
 * watch's waits. Records when each attempt was made.
 */
function unreachableSocket(attempts: number[]) {
  return class UnreachableSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    readyState = 0;
    protocol = '';
    onopen: (() => void) | null = null;
    onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
    onerror: ((error: unknown) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    constructor(readonly url: string) {
      attempts.push(Date.now());
      queueMicrotask(() => {
        this.readyState = 3;
        this.onclose?.({ code: 1006, reason: '', wasClean: false });
      });
    }
    send() {}
    close() {}
  };
}

describe('backoff', () => {
  it('grows exponentially from the base, capped, with half of each step random', () => {
    const low = (attempt: number) => backoffDelay(attempt, { baseMs: 500, maxMs: 15_000, random: () => 0 });
    const high = (attempt: number) => backoffDelay(attempt, { baseMs: 500, maxMs: 15_000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(low)).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500, 7500]);
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(high)).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('spreads clients that lost the server at the same moment', () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(3));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });

  it("the client's TerminationWatch waits between reconnection attempts: growing, jittered, capped", async () => {
    const attempts: number[] = [];
    const randoms = [0, 0.5, 0.25, 0.75, 0, 0.5, 0.9, 0.1];
    let draw = 0;
    const refused = vi.fn();
    const watch = new TerminationWatch({
      wsUrl: 'ws://tessera.test/graphql',
      credential: async () => 'token',
      onTerminated: () => {},
      onRefused: refused,
      webSocketImpl: unreachableSocket(attempts),
      backoff: { baseMs: 100, maxMs: 1_000, random: () => randoms[draw++ % randoms.length] },
    });
    watch.start();
    await vi.advanceTimersByTimeAsync(6_000);
    watch.stop();
    const waits = attempts.slice(1).map((at, i) => at - attempts[i]);
    // Half of each step fixed (50, 100, 200, 400, then 500 at the 1000 ms cap), the other half random.
    expect(waits.slice(0, 8)).toEqual([50, 150, 250, 700, 500, 750, 950, 550]);
    expect(waits.length).toBeGreaterThan(8);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1_000);
    expect(Math.min(...waits.slice(4))).toBeGreaterThanOrEqual(500); // capped, never back to the base
    expect(refused).not.toHaveBeenCalled(); // an unreachable server is not a refused credential

    const after = attempts.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts.length).toBe(after); // stopped: no attempt any more
  });

  it('reconnectNow (the network is back, the tab woke up) cuts the wait short', async () => {
    const attempts: number[] = [];
    const watch = new TerminationWatch({
      wsUrl: 'ws://tessera.test/graphql',
      credential: async () => null,
      onTerminated: () => {},
      onRefused: () => {},
      webSocketImpl: unreachableSocket(attempts),
      backoff: { baseMs: 60_000, maxMs: 60_000, random: () => 0 }, // 30 s between attempts
    });
    watch.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toHaveLength(1);
    watch.reconnectNow();
    await vi.advanceTimersByTimeAsync(10);
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeLessThan(1_100);
    watch.stop();
  });
});

/** Web Locks as the browser implements them, for exclusive locks: granted in request order. */
class FakeLocks implements LockManagerLike {
  private held = new Map<string, Promise<unknown>>();
  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    const before = this.held.get(name) ?? Promise.resolve();
    const mine = before.then(() => callback({ name }));
    this.held.set(
      name,
      mine.catch(() => undefined),
    );
    return mine;
  }
}

/** BroadcastChannel: a message reaches every other channel of the same hub, asynchronously. */
class FakeHub {
  private channels = new Set<FakeChannel>();
  open(): FakeChannel {
    const channel = new FakeChannel(this.channels);
    this.channels.add(channel);
    return channel;
  }
}
class FakeChannel implements ChannelLike {
  private listeners: ((event: { data: unknown }) => void)[] = [];
  constructor(private peers: Set<FakeChannel>) {}
  postMessage(message: unknown) {
    for (const peer of this.peers) if (peer !== this) setTimeout(() => peer.listeners.forEach((l) => l({ data: structuredClone(message) })), 0);
  }
  addEventListener(_type: 'message', listener: (event: { data: unknown }) => void) {
    this.listeners.push(listener);
  }
  close() {
    this.peers.delete(this);
  }
}

describe('tab election', () => {
  function tab(locks: FakeLocks, hub: FakeHub) {
    const received: TabMessage[] = [];
    let elected = 0;
    const coordinator = new TabCoordinator(
      'tessera:test',
      { locks, channel: hub.open() },
      {
        message: (m) => received.push(m),
        leadership: () => elected++,
      },
    );
    coordinator.start();
    return { coordinator, received, elected: () => elected };
  }

  it('exactly one tab leads; when it closes, the next one takes over at once', async () => {
    const locks = new FakeLocks();
    const hub = new FakeHub();
    const a = tab(locks, hub);
    const b = tab(locks, hub);
    const c = tab(locks, hub);
    await vi.advanceTimersByTimeAsync(0);
    expect([a, b, c].map((t) => t.coordinator.isLeader)).toEqual([true, false, false]);
    expect(a.elected()).toBe(1);

    a.coordinator.close();
    await vi.advanceTimersByTimeAsync(0);
    expect([a, b, c].map((t) => t.coordinator.isLeader)).toEqual([false, true, false]);
    expect(b.elected()).toBe(1);
    expect(c.elected()).toBe(0);

    b.coordinator.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.coordinator.isLeader).toBe(true);
  });

  it('messages reach the other tabs, not the sender, and none after close', async () => {
    const locks = new FakeLocks();
    const hub = new FakeHub();
    const a = tab(locks, hub);
    const b = tab(locks, hub);
    a.coordinator.post({ type: 'refresh-request' });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.received).toEqual([{ type: 'refresh-request' }]);
    expect(a.received).toEqual([]);
    b.coordinator.close();
    a.coordinator.post({ type: 'hello' });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.received).toHaveLength(1);
  });

  it('without Web Locks every tab leads itself', () => {
    const coordinator = new TabCoordinator('tessera:test', { locks: null, channel: null }, { message: () => {}, leadership: () => {} });
    coordinator.start();
    expect(coordinator.isLeader).toBe(true);
  });
});

describe('verified-token cache and bearer parsing', () => {
  it('keeps a token until its exp, evicting the oldest past its size', () => {
    const cache = new VerifiedTokenCache<string>(2, 60_000);
    const now = Date.now();
    cache.set('a', 'A', now + 1_000, now);
    cache.set('b', 'B', undefined, now);
    expect(cache.get('a', now + 999)).toBe('A');
    expect(cache.get('a', now + 1_000)).toBeUndefined();
    expect(cache.get('b', now + 59_999)).toBe('B'); // no exp: maxAge
    cache.set('c', 'C', now + 10_000, now);
    cache.set('d', 'D', now + 10_000, now);
    expect(cache.get('b', now)).toBeUndefined();
    expect(cache.get('d', now)).toBe('D');
  });

  it('reads Bearer from Fetch and Node-style headers', () => {
    expect(bearerToken(new Request('http://x/', { headers: { authorization: 'Bearer abc.def.ghi' } }))).toBe('abc.def.ghi');
    expect(bearerToken({ headers: { authorization: 'bearer   abc' } })).toBe('abc');
    expect(bearerToken({ headers: { authorization: 'Basic abc' } })).toBeNull();
    expect(bearerToken({ headers: {} })).toBeNull();
  });
});

describe('token storage adapters', () => {
  /** The Web Storage interface over a Map: what localStorage is, without a browser. */
  function webStorage(): Storage & { entries: Map<string, string> } {
    const entries = new Map<string, string>();
    return {
      entries,
      get length() {
        return entries.size;
      },
      clear: () => entries.clear(),
      getItem: (key) => entries.get(key) ?? null,
      key: (index) => [...entries.keys()][index] ?? null,
      removeItem: (key) => void entries.delete(key),
      setItem: (key, value) => void entries.set(key, String(value)),
    };
  }
  const tokens: StoredTokens = { accessToken: 'a.b.c', refreshToken: 'r1', expiresAt: 2_000, receivedAt: 1_000, sessionId: 'ses_1', userId: 'usr_1' };

  it('localStorageAdapter keeps the pair under its key across adapters (a reload), and clears it on logout', () => {
    const storage = webStorage();
    localStorageAdapter('app.tokens', storage).save(tokens);
    expect(JSON.parse(storage.entries.get('app.tokens')!)).toEqual(tokens);
    expect(localStorageAdapter('app.tokens', storage).load()).toEqual(tokens);
    expect(localStorageAdapter('other.key', storage).load()).toBeNull();
    localStorageAdapter('app.tokens', storage).save(null);
    expect(storage.entries.has('app.tokens')).toBe(false);
  });

  it('localStorageAdapter reads what is not a token pair as no login', () => {
    const storage = webStorage();
    const adapter = localStorageAdapter('tessera.tokens', storage);
    for (const raw of ['not json', 'null', '{"accessToken": 1, "refreshToken": "r"}', '{"accessToken": "a"}']) {
      storage.setItem('tessera.tokens', raw);
      expect(adapter.load()).toBeNull();
    }
  });

  it('memoryStorage holds one pair per instance', () => {
    const one = memoryStorage();
    one.save(tokens);
    expect(one.load()).toEqual(tokens);
    expect(memoryStorage().load()).toBeNull();
    one.save(null);
    expect(one.load()).toBeNull();
  });
});
