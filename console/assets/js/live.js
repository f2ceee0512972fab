// A subscription that outlives its WebSocket. Every way a stream can end — a dropped socket, a
// server restart (close 1001), a completed stream — leads to one place, `ended`, which waits with
// exponential backoff and subscribes again; only an answer that another try would not change (a
// refused key, a missing scope, an unknown realm) stops it.
//
// Resuming: `variables(last)` builds the variables of every (re)subscribe from the last result
// received. Once the stream can start after a cursor, passing that cursor there is the whole change.

import { createClient } from './vendor/graphql-ws/client.js';

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
const FINAL_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT']);

function socketUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

/** Why to give up on this error, or null to try again. */
function finalReason(error) {
  if (Array.isArray(error)) {
    const code = error[0]?.extensions?.code;
    return FINAL_CODES.has(code) ? { code, message: error[0].message } : null;
  }
  // 4401/4403: the server refused the connection's credential (wrong or revoked key).
  if (error && typeof error.code === 'number' && (error.code === 4401 || error.code === 4403)) {
    return { code: 'UNAUTHENTICATED', message: error.reason || 'The server refused the admin key' };
  }
  return null;
}

function describeLoss(error) {
  if (Array.isArray(error)) return error[0]?.message ?? 'the stream failed';
  if (error && typeof error.code === 'number') return `connection closed (${error.code}${error.reason ? ` ${error.reason}` : ''})`;
  return error ? 'connection lost' : 'the stream ended';
}

/**
 * onStatus({ state, … }): 'connecting' · 'live' · 'waiting' { retryAt, reason } · 'stopped' { code, message }.
 * Returns { stop(), retryNow() }.
 */
export function liveSubscription({ key, query, variables, onNext, onStatus }) {
  let client = null;
  let attempt = 0;
  let last = null;
  let timer = null;
  let stopped = false;

  function connect() {
    timer = null;
    onStatus({ state: 'connecting' });
    const current = createClient({
      url: socketUrl(),
      lazy: true,
      retryAttempts: 0, // the retries are ours (below), so that each one can resume
      keepAlive: 10_000,
      connectionParams: { authorization: `Bearer ${key}` },
      on: {
        connected: () => {
          attempt = 0;
          onStatus({ state: 'live' });
        },
      },
    });
    client = current;
    // A refusal may come as a result without data followed by `complete`: kept for that moment.
    let refusal = null;
    current.subscribe(
      { query, variables: variables(last) },
      {
        next: (result) => {
          if (!result.data) {
            refusal = result.errors ?? null;
            return;
          }
          refusal = null;
          last = result.data;
          onNext(result.data);
        },
        error: (error) => ended(current, error),
        complete: () => ended(current, refusal),
      },
    );
  }

  function ended(which, error) {
    if (which !== client) return; // a client already given up on
    client = null;
    void which.dispose();
    if (stopped) return;
    const final = finalReason(error);
    if (final) {
      stopped = true;
      onStatus({ state: 'stopped', ...final });
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt++) * (0.5 + Math.random() / 2);
    onStatus({ state: 'waiting', retryAt: Date.now() + delay, reason: describeLoss(error) });
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      void current?.dispose();
    },
    retryNow() {
      if (stopped || timer === null) return;
      clearTimeout(timer);
      connect();
    },
  };
}
