// @tessera/client — the browser entry (see README.md).
export { createTesseraClient, type TesseraClient, type TesseraClientOptions } from './browser/client.js';
export { memoryStorage, localStorageAdapter, type TokenStorage, type StoredTokens } from './browser/storage.js';
export type { LockManagerLike, ChannelLike } from './browser/tab-coordinator.js';
export type { SessionTermination, TerminationReason, SessionInfo, LoginInfo } from './browser/types.js';
export { TesseraError } from './shared/graphql-http.js';
export { backoffDelay, type BackoffOptions } from './shared/backoff.js';
export { refreshTime, RefreshScheduler } from './browser/refresh-scheduler.js';
export { TabCoordinator, type TabMessage } from './browser/tab-coordinator.js';
