import { TtlCache } from '../ttl-cache.js';

export interface ClientCredential {
  id: string;
  realmId: string;
  secretHash: string;
}

/**
 * Recently verified client credentials, for introspection: a resource server asks on every
 * request it serves, and without this each answer would wait on a query for the client's row
 * while the token check itself is answered from memory. Only successes are kept (a wrong secret
 * always reaches the database and the throttle). An entry lives `ttlMs` (1 s): a secret rotated or
 * a client deleted through another instance stops working there within that; through this one, at
 * once (ClientService forgets it).
 */
export class ClientCredentialCache {
  private readonly entries: TtlCache<ClientCredential>;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.entries = new TtlCache(options);
  }

  get(realmId: string, clientId: string, now: number): ClientCredential | null {
    const entry = this.entries.get(clientId, now);
    return entry && entry.realmId === realmId ? entry : null;
  }

  remember(credential: ClientCredential, now: number): void {
    this.entries.set(credential.id, credential, now);
  }

  forget(clientId: string): void {
    this.entries.delete(clientId);
  }
}
