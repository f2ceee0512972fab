// The load generator of `npm run bench`, in its own process so that its CPU and memory are not
// counted against the server. Driven over IPC by bench/run.ts: each message is one phase.
import { Pool } from 'undici';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

type Phase =
  | { kind: 'graphql'; url: string; concurrency: number; seconds: number; warmupSeconds?: number; requests: RequestPlan }
  | {
      kind: 'forced-logout';
      terminateUrl: string;
      subscribeWsUrl: string;
      adminKey: string;
      sessions: { token: string; sessionId: string }[];
      /** Samples measured at once (default 1): each its own subscriber and termination. */
      parallel?: number;
      /**
       * Wait a random 0..jitterMs before each termination: deliveries that come with a periodic read
       * would otherwise sync the samples to its ticks (each starting just after one).
       */
      jitterMs?: number;
    }
  | { kind: 'replay'; wsUrl: string; adminKey: string; realmId: string; after: string; count: number }
  | { kind: 'fan-out-connect'; wsUrl: string; tokens: string[] }
  | { kind: 'fan-out-fire'; url: string; adminKey: string; realmId: string }
  | { kind: 'fan-out-close' };

/** What each virtual client sends; `chain` lets refresh carry the rotated token forward. */
type RequestPlan =
  | { mode: 'fixed'; bodies: string[]; auth: (string | null)[] }
  | { mode: 'refresh'; refreshTokens: string[] }
  /** Each body once, in order; `auth` one value for all, or one per body. */
  | { mode: 'drain'; bodies: string[]; auth: string | string[] }
  /** Form bodies to an OAuth endpoint (introspection), with one Authorization header value. */
  | { mode: 'form'; bodies: string[]; authorization: string }
  /** grant_type=refresh_token at an OAuth token endpoint, each client carrying its rotated token. */
  | { mode: 'token-refresh'; refreshTokens: string[] };

// undici: about half the CPU per request of node:http's client, and the client shares the machine's
// two cores with the server and PostgreSQL.
const pools = new Map<string, Pool>();

async function post(url: string, body: string, auth: string | null, headers: Record<string, string> | null = null): Promise<{ status: number; text: string }> {
  const { origin, pathname } = new URL(url);
  let pool = pools.get(origin);
  if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: 256 })));
  const response = await pool.request({
    path: pathname,
    method: 'POST',
    headers: headers ?? { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

async function runGraphql(phase: Extract<Phase, { kind: 'graphql' }>) {
  const latencies: number[] = [];
  let errors = 0;
  /** Answered without an error, warm-up included (bench/run.ts counts the webhooks they caused). */
  let succeeded = 0;
  const plan = phase.requests;
  let drainIndex = 0;
  // Per virtual client: where it is in the bodies, and the refresh token it carries forward.
  const carried = plan.mode === 'refresh' || plan.mode === 'token-refresh' ? plan.refreshTokens : null;
  const state = Array.from({ length: phase.concurrency }, (_, index) => ({ n: 0, refreshToken: carried ? carried[index] : '' }));
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const worker = async (index: number, deadline: number, record: boolean) => {
    const own = state[index];
    for (; performance.now() < deadline; own.n++) {
      let body: string;
      let auth: string | null = null;
      let headers: Record<string, string> | null = null;
      if (plan.mode === 'form') {
        body = plan.bodies[(index + own.n * phase.concurrency) % plan.bodies.length];
        headers = { ...form, authorization: plan.authorization };
      } else if (plan.mode === 'token-refresh') {
        body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: own.refreshToken }).toString();
        headers = form;
      } else if (plan.mode === 'fixed') {
        const pick = (index + own.n * phase.concurrency) % plan.bodies.length;
        body = plan.bodies[pick];
        auth = plan.auth[pick];
      } else if (plan.mode === 'refresh') {
        body = JSON.stringify({ query: 'mutation R($t: String!) { refresh(refreshToken: $t) { refreshToken } }', variables: { t: own.refreshToken } });
      } else {
        if (drainIndex >= plan.bodies.length) return;
        auth = typeof plan.auth === 'string' ? plan.auth : plan.auth[drainIndex];
        body = plan.bodies[drainIndex++];
      }
      const started = performance.now();
      const response = await post(phase.url, body, auth, headers);
      if (record) latencies.push(performance.now() - started);
      const parsed = JSON.parse(response.text) as {
        errors?: unknown[];
        error?: string;
        active?: boolean;
        refresh_token?: string;
        data?: { refresh?: { refreshToken: string } };
      };
      const failed = response.status !== 200 || parsed.errors || parsed.error || (plan.mode === 'form' && parsed.active !== true);
      if (record && failed) errors++;
      if (!failed) succeeded++;
      if (plan.mode === 'refresh' && parsed.data?.refresh) own.refreshToken = parsed.data.refresh.refreshToken;
      if (plan.mode === 'token-refresh' && parsed.refresh_token) own.refreshToken = parsed.refresh_token;
    }
  };
  const run = (seconds: number, record: boolean) => {
    const deadline = performance.now() + seconds * 1000;
    return Promise.all(Array.from({ length: phase.concurrency }, (_, i) => worker(i, deadline, record)));
  };
  // Warm-up, not measured: JIT, prepared statements and pooled connections reach steady state.
  if (phase.warmupSeconds) await run(phase.warmupSeconds, false);
  const started = performance.now();
  await run(phase.seconds, true);
  // The rotated refresh tokens, for a later phase to carry on with (an old one is a reuse).
  const refreshTokens = carried ? state.map((own) => own.refreshToken) : undefined;
  return { latencies, errors, succeeded, refreshTokens, seconds: (performance.now() - started) / 1000 };
}

function connect(wsUrl: string, token: string): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    // The server closes each socket (4403) once its session ended: expected here, not worth a
    // console.error per socket in the middle of a measurement.
    onNonLazyError: () => {},
  });
}

function waitForTermination(client: Client, sessionId: string | null): { subscribed: Promise<void>; received: Promise<number> } {
  let markSubscribed!: () => void;
  let failSubscribed!: (error: unknown) => void;
  const subscribed = new Promise<void>((resolve, reject) => {
    markSubscribed = resolve;
    failSubscribed = reject;
  });
  const received = new Promise<number>((resolve, reject) => {
    client.on('connected', () => setTimeout(markSubscribed, 0));
    client.on('closed', (event) => failSubscribed(new Error(`socket closed ${(event as { code?: number }).code}`)));
    client.subscribe(
      { query: 'subscription W($id: ID) { sessionTerminated(sessionId: $id) { reason } }', variables: sessionId ? { id: sessionId } : {} },
      { next: () => resolve(performance.now()), error: reject, complete: () => undefined },
    );
  });
  received.catch(() => undefined); // observed by the caller when it matters
  return { subscribed, received };
}

async function runForcedLogout(phase: Extract<Phase, { kind: 'forced-logout' }>) {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < phase.sessions.length; i = next++) {
      const { token, sessionId } = phase.sessions[i];
      const client = connect(phase.subscribeWsUrl, token);
      const { subscribed, received } = waitForTermination(client, null);
      await subscribed;
      // Let the subscribe message reach the server (and spread the samples, with a jitter).
      await new Promise((r) => setTimeout(r, 2 + Math.random() * (phase.jitterMs ?? 0)));
      const started = performance.now();
      void post(
        phase.terminateUrl,
        JSON.stringify({ query: 'mutation T($id: ID!) { terminateSession(id: $id) { id } }', variables: { id: sessionId } }),
        phase.adminKey,
      );
      latencies.push((await received) - started);
      await client.dispose();
    }
  };
  await Promise.all(Array.from({ length: phase.parallel ?? 1 }, worker));
  return { latencies };
}

/** `sessionEvents(after)` over a bare WebSocket: the time until `count` events have arrived. */
async function runReplay(phase: Extract<Phase, { kind: 'replay' }>) {
  const socket = new WebSocket(phase.wsUrl, 'graphql-transport-ws');
  let started = 0;
  let received = 0;
  const elapsedMs = await new Promise<number>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${phase.adminKey}` } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') {
        started = performance.now();
        const query = 'subscription R($r: ID!, $a: String) { sessionEvents(realmId: $r, after: $a) { id cursor type } }';
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { r: phase.realmId, a: phase.after } } }));
      } else if (message.type === 'next') {
        if (++received === phase.count) resolve(performance.now() - started);
      } else if (message.type === 'error') reject(new Error(`replay refused ${String(data).slice(0, 200)}`));
    });
    socket.once('close', (code) => reject(new Error(`replay socket closed ${code} after ${received} events`)));
    socket.once('error', reject);
  });
  socket.terminate();
  return { elapsedMs, received };
}

/**
 * A forced-logout subscriber for the fan-out, speaking graphql-transport-ws over a bare WebSocket:
 * 10,000 graphql-ws clients in this process cost ~0.5 s of CPU to take in their events, on the
 * cores the server is being measured on. Resolves `received` at the first `next` of its operation.
 */
function bareSubscriber(wsUrl: string, token: string): { socket: WebSocket; subscribed: Promise<void>; received: Promise<number> } {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  let subscribed!: Promise<void>;
  const received = new Promise<number>((resolve, reject) => {
    subscribed = new Promise<void>((ready, fail) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: { data?: { sessionTerminated?: { reason?: string } } } };
        if (message.type === 'connection_ack') {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription W { sessionTerminated { reason } }' } }));
          ready();
        } else if (message.type === 'next' && message.id === '1') {
          if (message.payload?.data?.sessionTerminated?.reason) resolve(performance.now());
          else reject(new Error(`unexpected event ${String(data).slice(0, 200)}`));
        } else if (message.type === 'error') {
          reject(new Error(`subscription refused ${String(data).slice(0, 200)}`));
        }
      });
      socket.once('close', (code) => {
        const error = new Error(`socket closed ${code}`);
        fail(error);
        reject(error);
      });
      socket.once('error', (error) => {
        fail(error);
        reject(error);
      });
    });
  });
  subscribed.catch(() => undefined);
  received.catch(() => undefined); // observed by the caller when it matters
  return { socket, subscribed, received };
}

let fanOut: { sockets: WebSocket[]; received: Promise<number>[] } | null = null;

async function runFanOutConnect(phase: Extract<Phase, { kind: 'fan-out-connect' }>) {
  const sockets: WebSocket[] = [];
  const received: Promise<number>[] = [];
  // Connect in waves so the connect storm itself is not what we measure.
  for (let start = 0; start < phase.tokens.length; start += 500) {
    const wave = phase.tokens.slice(start, start + 500).map((token) => {
      const subscriber = bareSubscriber(phase.wsUrl, token);
      sockets.push(subscriber.socket);
      received.push(subscriber.received.catch(() => Number.NaN));
      return subscriber.subscribed;
    });
    await Promise.all(wave);
  }
  await new Promise((r) => setTimeout(r, 1000));
  fanOut = { sockets, received };
  return { connected: sockets.length };
}

async function runFanOutFire(phase: Extract<Phase, { kind: 'fan-out-fire' }>) {
  if (!fanOut) throw new Error('connect first');
  const started = performance.now();
  const response = await post(
    phase.url,
    JSON.stringify({ query: 'mutation E($r: ID!) { terminateRealmSessions(realmId: $r) }', variables: { r: phase.realmId } }),
    phase.adminKey,
  );
  const mutationMs = performance.now() - started;
  const times = await Promise.race([Promise.all(fanOut.received), new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 60_000))]);
  const delivered = times.filter((t) => Number.isFinite(t));
  return {
    mutationMs,
    delivered: delivered.length,
    lastEventMs: delivered.length ? Math.max(...delivered) - started : null,
    response: response.text.slice(0, 200),
  };
}

process.on('message', async (message: { id: number; phase: Phase }) => {
  try {
    let result: unknown;
    const { phase } = message;
    if (phase.kind === 'graphql') result = await runGraphql(phase);
    else if (phase.kind === 'forced-logout') result = await runForcedLogout(phase);
    else if (phase.kind === 'replay') result = await runReplay(phase);
    else if (phase.kind === 'fan-out-connect') result = await runFanOutConnect(phase);
    else if (phase.kind === 'fan-out-fire') result = await runFanOutFire(phase);
    else {
      for (const socket of fanOut?.sockets ?? []) socket.terminate();
      fanOut = null;
      result = {};
    }
    process.send?.({ id: message.id, result });
  } catch (error) {
    process.send?.({ id: message.id, error: String((error as Error).stack ?? error) });
  }
});
