import { decodeClaims, endpointsOf, postGraphQL, TesseraError } from '../shared/graphql-http.js';
import { backoffDelay, type BackoffOptions } from '../shared/backoff.js';
import { memoryStorage, type StoredTokens, type TokenStorage } from './storage.js';
import { RefreshScheduler, refreshTime } from './refresh-scheduler.js';
import { TabCoordinator, type ChannelLike, type LockManagerLike, type TabMessage } from './tab-coordinator.js';
import { isOffline, TerminationWatch } from './termination-watch.js';
import type { LoginInfo, SessionInfo, SessionTermination } from './types.js';

export interface TesseraClientOptions {
  /** Tessera's base URL (`https://auth.example.com`) or its GraphQL endpoint (`…/graphql`). */
  url: string;
  realmId: string;
  /** Where tokens are kept: memory by default (see memoryStorage, localStorageAdapter). */
  storage?: TokenStorage;
  /** Reported as the session's `app` (listSessions shows it). */
  app?: string;
  /** Refresh this long before the access token expires (default: a fifth of its lifetime, 5–60 s). */
  refreshAheadSeconds?: number;
  /** Reconnection and refresh-retry delays. */
  backoff?: BackoffOptions;
  /** Tab coordination: the browser's Web Locks and BroadcastChannel by default; `false` for none. */
  tabs?: false | { locks?: LockManagerLike | null; channel?: ChannelLike | null };
  /** For non-browser runtimes: graphql-ws's `webSocketImpl`. */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
}

export interface TesseraClient {
  /** Log in with a password; every tab of the app is logged in with the same session. */
  login(input: { username: string; password: string }): Promise<LoginInfo>;
  /** End this session on the server (every tab is logged out, callbacks get LOGOUT). */
  logout(): Promise<void>;
  /** A valid access token (refreshed first when it is about to expire), or null when logged out. */
  getAccessToken(): Promise<string | null>;
  /** Called once per ended session, in every tab, whatever ended it; returns an unsubscribe. */
  onSessionTerminated(callback: (termination: SessionTermination) => void): () => void;
  listSessions(): Promise<SessionInfo[]>;
  terminateSession(id: string): Promise<void>;
  /** Ends every other session of the user; resolves to how many ended. */
  terminateOtherSessions(): Promise<number>;
  /** The current login, or null (after the stored or shared tokens have been looked at). */
  currentLogin(): Promise<LoginInfo | null>;
  /** Stop timers, sockets and tab messages (the tokens stay in their storage). */
  close(): void;
}

const LOGIN = `mutation TesseraClientLogin($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken session { id } user { id } }
}`;
const REFRESH = `mutation TesseraClientRefresh($refreshToken: String!) {
  refresh(refreshToken: $refreshToken) { accessToken refreshToken session { id } user { id } }
}`;
const SESSIONS = `query TesseraClientSessions($realmId: ID!, $userId: ID!) {
  sessions(realmId: $realmId, userId: $userId, state: ACTIVE, first: 100) {
    edges { node { id state createdAt lastActiveAt expiresAt ip userAgent app current } }
  }
}`;

interface LoginAnswer {
  accessToken: string;
  refreshToken: string | null;
  session: { id: string } | null;
  user: { id: string };
}

/** Codes that say the refresh token will never work again (the session ended or it was rotated away). */
const SESSION_GONE = new Set(['INVALID_REFRESH_TOKEN', 'UNAUTHENTICATED']);
/** A token this close to expiry is refreshed before it is handed out. */
const MIN_VALIDITY_MS = 5_000;
/** How long a new tab waits for an open one to share its login. */
const HELLO_WAIT_MS = 250;
/** How long a follower tab waits for the leader's fresh token. */
const LEADER_WAIT_MS = 5_000;
/** After the server refused the session, how long to wait for the subscription to say why. */
const REASON_WAIT_MS = 3_000;
/** Offline, the scheduled refresh waits for the 'online' event, looking again after this long. */
const OFFLINE_RECHECK_MS = 5_000;
/** A tab visible again after being hidden this long reconnects its subscription at once (one keep-alive period). */
const WAKE_RECONNECT_MS = 10_000;

/**
 * The browser client (README.md): login, tokens that stay fresh, forced logout in every tab.
 *
 * One tab — the leader, elected with a Web Lock — refreshes, ahead of expiry, and hands every new
 * token pair to the others over a BroadcastChannel, so a refresh token is never presented twice.
 * Each tab keeps one `sessionTerminated` subscription; whichever tab hears of the end first tells
 * the others, and every tab clears its tokens and calls back once.
 */
export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  return new BrowserClient(options).api();
}

class BrowserClient {
  private readonly endpoints: { http: string; ws: string };
  private readonly storage: TokenStorage;
  private readonly fetchImpl: typeof fetch;
  private readonly tabs: TabCoordinator;
  private readonly scheduler: RefreshScheduler;
  private readonly callbacks = new Set<(termination: SessionTermination) => void>();
  private readonly ended = new Set<string>();
  private readonly ready: Promise<void>;
  private tokens: StoredTokens | null = null;
  private refreshing: Promise<StoredTokens | null> | null = null;
  private refreshFailures = 0;
  private watch: TerminationWatch | undefined;
  private watchedSession: string | undefined;
  private tokenWaiters: ((tokens: StoredTokens) => void)[] = [];
  private sessionRefused: Promise<void> | null = null;
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: TesseraClientOptions) {
    this.endpoints = endpointsOf(options.url);
    this.storage = options.storage ?? memoryStorage();
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.scheduler = new RefreshScheduler(() => void this.refreshInBackground());
    // One election and one channel per Tessera and realm: two apps of one origin on other realms stay apart.
    const name = `tessera:${this.endpoints.http}:${options.realmId}`;
    const tabs = options.tabs === false ? { locks: null, channel: null } : defaultTabs(name, options.tabs);
    this.tabs = new TabCoordinator(name, tabs, {
      message: (message) => void this.onTabMessage(message),
      leadership: () => this.scheduleRefresh(),
    });
    this.tabs.start();
    this.listenForWakeUps();
    this.ready = this.loadTokens(tabs.channel !== null);
  }

  api(): TesseraClient {
    return {
      login: (input) => this.login(input),
      logout: () => this.logout(),
      getAccessToken: () => this.getAccessToken(),
      onSessionTerminated: (callback) => {
        this.callbacks.add(callback);
        return () => void this.callbacks.delete(callback);
      },
      listSessions: () => this.listSessions(),
      terminateSession: (id) => this.terminateSession(id),
      terminateOtherSessions: () => this.terminateOtherSessions(),
      currentLogin: async () => {
        await this.ready;
        return this.tokens ? loginInfo(this.tokens) : null;
      },
      close: () => this.close(),
    };
  }

  // ── tokens ─────────────────────────────────────────────────────────────────────────────────

  private async loadTokens(askOtherTabs: boolean): Promise<void> {
    const stored = await this.storage.load();
    if (stored && !this.tokens) this.adopt(stored, { save: false });
    if (this.tokens || !askOtherTabs) return;
    const shared = new Promise<void>((resolve) => this.tokenWaiters.push(() => resolve()));
    this.tabs.post({ type: 'hello' });
    await Promise.race([shared, delay(HELLO_WAIT_MS)]);
  }

  /** Take a token pair as this tab's current one (from the server, storage or another tab). */
  private adopt(tokens: StoredTokens, opts: { save: boolean }): void {
    if (this.ended.has(tokens.sessionId)) return;
    this.tokens = tokens;
    this.refreshFailures = 0;
    if (opts.save) void this.storage.save(tokens);
    this.scheduleRefresh();
    this.ensureWatch();
    const waiters = this.tokenWaiters;
    this.tokenWaiters = [];
    for (const waiter of waiters) waiter(tokens);
  }

  private fromAnswer(answer: LoginAnswer): StoredTokens {
    if (!answer.refreshToken || !answer.session) {
      throw new TesseraError('This realm does not manage sessions (UNMANAGED): the browser client needs managed sessions', 'UNMANAGED_SESSION');
    }
    const claims = decodeClaims(answer.accessToken) ?? {};
    const receivedAt = Date.now();
    // The token's lifetime on the server's clock, counted from now on ours: a device clock that is
    // off by minutes does not make it refresh too early or too late.
    const lifetime = typeof claims.exp === 'number' && typeof claims.iat === 'number' ? (claims.exp - claims.iat) * 1000 : 300_000;
    return {
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      expiresAt: receivedAt + lifetime,
      receivedAt,
      sessionId: answer.session.id,
      userId: answer.user.id,
    };
  }

  private scheduleRefresh(): void {
    if (!this.tokens || !this.tabs.isLeader || this.closed) return;
    this.scheduler.scheduleAt(refreshTime(this.tokens.receivedAt, this.tokens.expiresAt, this.options.refreshAheadSeconds));
  }

  /** A timer that fired late, or not at all (sleep, a frozen tab, offline): refresh now if due. */
  private refreshIfDue(): void {
    if (!this.tokens || !this.tabs.isLeader || this.closed) return;
    if (Date.now() >= refreshTime(this.tokens.receivedAt, this.tokens.expiresAt, this.options.refreshAheadSeconds)) void this.refreshInBackground();
    else this.scheduleRefresh();
  }

  private async getAccessToken(): Promise<string | null> {
    await this.ready;
    const tokens = this.tokens;
    if (!tokens) return null;
    if (Date.now() < tokens.expiresAt - MIN_VALIDITY_MS) return tokens.accessToken;
    const fresh = await this.refresh();
    return fresh?.accessToken ?? null;
  }

  /** One refresh at a time in this tab; in a follower tab, the leader's. */
  private refresh(): Promise<StoredTokens | null> {
    if (!this.refreshing) {
      this.refreshing = (this.tabs.isLeader ? this.refreshHere() : this.refreshByLeader()).finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  private async refreshHere(): Promise<StoredTokens | null> {
    const current = this.tokens;
    if (!current) return null;
    try {
      const { refresh } = await postGraphQL<{ refresh: LoginAnswer }>(
        this.endpoints.http,
        REFRESH,
        { refreshToken: current.refreshToken },
        null,
        this.fetchImpl,
      );
      if (this.tokens !== current) return this.tokens; // logged out or replaced meanwhile
      const tokens = this.fromAnswer(refresh);
      this.adopt(tokens, { save: true });
      this.tabs.post({ type: 'tokens', tokens });
      return tokens;
    } catch (error) {
      if (error instanceof TesseraError && SESSION_GONE.has(error.code)) {
        void this.sessionRefused_();
        return null;
      }
      // The network or the server is down: keep the tokens and try again soon.
      this.scheduler.scheduleAt(Date.now() + backoffDelay(this.refreshFailures++, this.options.backoff));
      if (Date.now() < current.expiresAt) return current;
      throw error;
    }
  }

  private async refreshByLeader(): Promise<StoredTokens | null> {
    const current = this.tokens;
    const fresh = new Promise<StoredTokens>((resolve) => this.tokenWaiters.push(resolve));
    this.tabs.post({ type: 'refresh-request' });
    const answer = await Promise.race([fresh, delay(LEADER_WAIT_MS).then(() => null)]);
    if (answer) return answer;
    if (this.tabs.isLeader) return this.refreshHere(); // the leader went away and this tab took over
    if (current && Date.now() < current.expiresAt) return current;
    throw new TesseraError('No tab could refresh the access token', 'REFRESH_UNAVAILABLE');
  }

  private async refreshInBackground(): Promise<void> {
    if (isOffline()) {
      // No request that can only fail: the 'online' event catches up (listenForWakeUps).
      this.scheduler.scheduleAt(Date.now() + OFFLINE_RECHECK_MS);
      return;
    }
    try {
      await this.refresh();
    } catch {
      // refreshHere has scheduled the next attempt
    }
  }

  // ── login, logout, sessions ───────────────────────────────────────────────────────────────────

  private async login(input: { username: string; password: string }): Promise<LoginInfo> {
    await this.ready;
    const client = { app: this.options.app, userAgent: globalThis.navigator?.userAgent };
    const { login } = await postGraphQL<{ login: LoginAnswer }>(
      this.endpoints.http,
      LOGIN,
      { input: { realmId: this.options.realmId, username: input.username, password: input.password, client } },
      null,
      this.fetchImpl,
    );
    const tokens = this.fromAnswer(login);
    this.adopt(tokens, { save: true });
    this.tabs.post({ type: 'tokens', tokens });
    return loginInfo(tokens);
  }

  private async logout(): Promise<void> {
    const token = await this.getAccessToken().catch(() => this.tokens?.accessToken ?? null);
    const tokens = this.tokens;
    if (!tokens) return;
    try {
      if (token) await postGraphQL(this.endpoints.http, 'mutation TesseraClientLogout { logout }', {}, token, this.fetchImpl);
    } catch (error) {
      // Already ended on the server: logged out all the same. Anything else (offline) is the app's
      // to handle, and the tokens stay so that it can retry.
      if (!(error instanceof TesseraError && SESSION_GONE.has(error.code))) throw error;
    }
    this.end({ sessionId: tokens.sessionId, userId: tokens.userId, realmId: this.options.realmId, reason: 'LOGOUT', terminatedAt: new Date().toISOString() });
  }

  private async withToken<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const token = await this.getAccessToken();
    if (!token) throw new TesseraError('Not logged in', 'UNAUTHENTICATED');
    return postGraphQL<T>(this.endpoints.http, query, variables, token, this.fetchImpl);
  }

  private async listSessions(): Promise<SessionInfo[]> {
    await this.ready;
    const userId = this.tokens?.userId;
    const { sessions } = await this.withToken<{ sessions: { edges: { node: SessionInfo }[] } }>(SESSIONS, { realmId: this.options.realmId, userId });
    return sessions.edges.map((edge) => edge.node);
  }

  private async terminateSession(id: string): Promise<void> {
    await this.withToken('mutation TesseraClientTerminate($id: ID!) { terminateSession(id: $id) { id } }', { id });
  }

  private async terminateOtherSessions(): Promise<number> {
    await this.ready;
    const userId = this.tokens?.userId;
    const answer = await this.withToken<{ terminateAllSessions: number }>(
      'mutation TesseraClientTerminateOthers($userId: ID!) { terminateAllSessions(userId: $userId, keepCurrent: true) }',
      { userId },
    );
    return answer.terminateAllSessions;
  }

  // ── the end of a session ──────────────────────────────────────────────────────────────────────

  private ensureWatch(): void {
    const sessionId = this.tokens?.sessionId;
    if (!sessionId || this.watchedSession === sessionId || this.closed) return;
    this.watch?.stop();
    this.watchedSession = sessionId;
    this.watch = new TerminationWatch({
      wsUrl: this.endpoints.ws,
      // A fresh token while the session lives; once it has ended, its last token still learns why.
      credential: async () => (await this.getAccessToken().catch(() => null)) ?? this.tokens?.accessToken ?? null,
      onTerminated: (termination) => this.end(termination),
      onRefused: () => void this.sessionRefused_(),
      webSocketImpl: this.options.webSocketImpl,
      backoff: this.options.backoff,
    });
    this.watch.start();
  }

  /**
   * The server refused the session (its refresh token, or every socket): it has ended. The
   * subscription normally brings the reason within moments; if it cannot, end it as UNKNOWN.
   */
  private sessionRefused_(): Promise<void> {
    const tokens = this.tokens;
    if (!tokens) return Promise.resolve();
    this.sessionRefused ??= (async () => {
      this.scheduler.cancel();
      this.watch?.reconnectNow();
      await delay(REASON_WAIT_MS);
      this.sessionRefused = null;
      if (this.tokens === tokens) this.end({ sessionId: tokens.sessionId, userId: tokens.userId, realmId: this.options.realmId, reason: 'UNKNOWN' });
    })();
    return this.sessionRefused;
  }

  /** Forget the session in this tab, tell the others, call back once. */
  private end(termination: SessionTermination, opts: { fromTab?: boolean } = {}): void {
    if (this.ended.has(termination.sessionId)) return;
    this.ended.add(termination.sessionId);
    if (!opts.fromTab) this.tabs.post({ type: 'ended', termination });
    if (this.tokens?.sessionId === termination.sessionId) {
      this.tokens = null;
      this.scheduler.cancel();
      void this.storage.save(null);
    }
    if (this.watchedSession === termination.sessionId) {
      this.watch?.stop();
      this.watch = undefined;
      this.watchedSession = undefined;
    }
    for (const callback of this.callbacks) {
      try {
        callback(termination);
      } catch (error) {
        // One app callback failing must not keep the others from hearing of the logout.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private async onTabMessage(message: TabMessage): Promise<void> {
    switch (message.type) {
      case 'hello':
        if (this.tokens) this.tabs.post({ type: 'tokens', tokens: this.tokens });
        break;
      case 'tokens':
        if (this.isNewer(message.tokens)) this.adopt(message.tokens, { save: false });
        break;
      case 'refresh-request':
        if (!this.tabs.isLeader || !this.tokens) break;
        if (Date.now() < this.tokens.expiresAt - MIN_VALIDITY_MS) this.tabs.post({ type: 'tokens', tokens: this.tokens });
        else await this.refreshInBackground();
        break;
      case 'ended':
        this.end(message.termination, { fromTab: true });
        break;
    }
  }

  private isNewer(tokens: StoredTokens): boolean {
    if (this.ended.has(tokens.sessionId)) return false;
    const current = this.tokens;
    if (!current) return true;
    if (current.accessToken === tokens.accessToken) return false;
    return current.sessionId !== tokens.sessionId || tokens.receivedAt >= current.receivedAt;
  }

  /** Back from sleep, a frozen tab or offline: refresh if due, and reconnect the subscription now. */
  private listenForWakeUps(): void {
    const target = globalThis as unknown as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
    const doc = (globalThis as { document?: Document }).document;
    if (typeof target.addEventListener !== 'function') return;
    const onOnline = () => {
      this.refreshIfDue();
      this.watch?.reconnectNow();
    };
    let hiddenAt: number | null = null;
    const onVisible = () => {
      if (doc?.visibilityState !== 'visible') {
        hiddenAt = Date.now();
        return;
      }
      this.refreshIfDue();
      // Hidden for a while (a laptop asleep, a frozen tab): its socket may look open while the
      // connection under it is gone, and the keep-alive would notice only a ping and a pong later.
      if (hiddenAt !== null && Date.now() - hiddenAt >= WAKE_RECONNECT_MS) this.watch?.reconnectNow();
      hiddenAt = null;
    };
    target.addEventListener('online', onOnline);
    doc?.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => {
      target.removeEventListener?.('online', onOnline);
      doc?.removeEventListener('visibilitychange', onVisible);
    });
  }

  private close(): void {
    this.closed = true;
    this.scheduler.cancel();
    this.watch?.stop();
    this.tabs.close();
    for (const cleanup of this.cleanups) cleanup();
  }
}

function defaultTabs(name: string, given?: { locks?: LockManagerLike | null; channel?: ChannelLike | null }) {
  const locks = given?.locks !== undefined ? given.locks : ((globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks ?? null);
  const channel =
    given?.channel !== undefined ? given.channel : typeof BroadcastChannel === 'function' ? (new BroadcastChannel(name) as unknown as ChannelLike) : null;
  return { locks, channel };
}

function loginInfo(tokens: StoredTokens): LoginInfo {
  return { userId: tokens.userId, sessionId: tokens.sessionId, expiresAt: tokens.expiresAt };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
