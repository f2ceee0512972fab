import WebSocket from 'ws';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';

/**
 * A graphql-ws client for tests: opens the socket at once (not lazily) with a bearer credential,
 * records every close, and wraps each subscription in a small recorder whose waits all time out —
 * a test that waits for an event that never comes fails with a message instead of hanging.
 */

export interface CloseInfo {
  code: number;
  reason: string;
}

export type Result<T = Record<string, any>> = ExecutionResult<T, Record<string, any>>;

export type SubscriptionEnd = { kind: 'complete' } | { kind: 'error'; error: unknown };

export interface RecordedSubscription<T = Record<string, any>> {
  /** Every `next` payload received so far, in order. */
  readonly results: Result<T>[];
  /** How the subscription ended, once it has. */
  readonly end: SubscriptionEnd | null;
  /** The result with this index (0 = the first), waiting for it up to timeoutMs. */
  result(index?: number, timeoutMs?: number): Promise<Result<T>>;
  /** Resolves when the subscription completes or errors, up to timeoutMs. */
  ended(timeoutMs?: number): Promise<SubscriptionEnd>;
  unsubscribe(): void;
}

export interface WsConnection {
  client: Client;
  /** Every close of the client's socket(s), in order. */
  readonly closes: CloseInfo[];
  /** Resolves when the server acknowledged connection_init (rejects when the socket closes first). */
  connected(timeoutMs?: number): Promise<void>;
  /** The first close of the socket, waiting up to timeoutMs. */
  closed(timeoutMs?: number): Promise<CloseInfo>;
  subscribe<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): RecordedSubscription<T>;
  dispose(): Promise<void>;
}

/** Reject after ms with a message naming what did not happen. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Poll until check() returns a truthy value, every `intervalMs`; fail after timeoutMs. A timing
 * assertion after it is only as fine as the interval.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const DEFAULT_WAIT_MS = 5_000;

export function openWs(wsUrl: string, credential: string | null, options: { connectionParams?: Record<string, unknown> } = {}): WsConnection {
  const closes: CloseInfo[] = [];
  const closeWaiters: ((close: CloseInfo) => void)[] = [];
  let acknowledged = false;
  const ackWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    // Errors of the eager connection are asserted through `closes`, not printed.
    onNonLazyError: () => {},
    connectionParams: options.connectionParams ?? (credential ? { authorization: `Bearer ${credential}` } : {}),
    on: {
      connected: () => {
        acknowledged = true;
        for (const waiter of ackWaiters.splice(0)) waiter.resolve();
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        const close = { code, reason: String(reason ?? '') };
        closes.push(close);
        for (const waiter of closeWaiters.splice(0)) waiter(close);
        for (const waiter of ackWaiters.splice(0)) waiter.reject(new Error(`socket closed with ${code} ${close.reason} before connection_ack`));
      },
    },
  });

  return {
    client,
    closes,
    connected(timeoutMs = DEFAULT_WAIT_MS) {
      if (acknowledged) return Promise.resolve();
      if (closes.length) return Promise.reject(new Error(`socket closed with ${closes[0].code} before connection_ack`));
      return within(new Promise<void>((resolve, reject) => ackWaiters.push({ resolve, reject })), timeoutMs, 'connection_ack');
    },
    closed(timeoutMs = DEFAULT_WAIT_MS) {
      if (closes.length) return Promise.resolve(closes[0]);
      return within(new Promise<CloseInfo>((resolve) => closeWaiters.push(resolve)), timeoutMs, 'the socket to close');
    },
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const results: Result<T>[] = [];
      let end: SubscriptionEnd | null = null;
      const resultWaiters: (() => void)[] = [];
      const endWaiters: ((end: SubscriptionEnd) => void)[] = [];
      const finish = (value: SubscriptionEnd) => {
        if (end) return;
        end = value;
        for (const waiter of endWaiters.splice(0)) waiter(value);
        for (const waiter of resultWaiters.splice(0)) waiter();
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            results.push(value as Result<T>);
            for (const waiter of resultWaiters.splice(0)) waiter();
          },
          error: (error) => finish({ kind: 'error', error }),
          complete: () => finish({ kind: 'complete' }),
        },
      );
      return {
        results,
        get end() {
          return end;
        },
        result(index = 0, timeoutMs = DEFAULT_WAIT_MS) {
          const wait = async (): Promise<Result<T>> => {
            while (results.length <= index) {
              if (end) throw new Error(`subscription ended (${JSON.stringify(end)}) after ${results.length} result(s); wanted #${index}`);
              await new Promise<void>((resolve) => resultWaiters.push(resolve));
            }
            return results[index];
          };
          return within(wait(), timeoutMs, `result #${index} of "${query}"`);
        },
        ended(timeoutMs = DEFAULT_WAIT_MS) {
          if (end) return Promise.resolve(end);
          return within(new Promise<SubscriptionEnd>((resolve) => endWaiters.push(resolve)), timeoutMs, `the end of "${query}"`);
        },
        unsubscribe,
      };
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** The extensions.code of the first GraphQL error in a subscription result or error sink value. */
export function codeOf(value: unknown): string | undefined {
  const errors = Array.isArray(value) ? value : (value as { errors?: unknown[] } | null)?.errors;
  const first = errors?.[0] as { extensions?: { code?: string } } | undefined;
  return first?.extensions?.code;
}
