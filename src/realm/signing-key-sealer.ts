import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConfigError } from '../config.js';
import { SigningKeyStore } from './signing-key-store.js';

export const SEALED_PREFIX = 'tessera-sealed:v1:';

/**
 * Encryption at rest for signing-key material (HS256 secrets, RS256 private keys), so that a copy
 * of the database or of a backup does not hand out the power to mint tokens. AES-256-GCM from
 * node's crypto, with a key derived (HKDF-SHA256) from each KEY_ENCRYPTION_KEY entry and the signing
 * key's id as associated data: a sealed value moved to another row does not open.
 *
 * Sealed text: `tessera-sealed:v1:<key fingerprint>:<iv>:<ciphertext>:<tag>` (base64url), in the
 * same columns as clear text — which never starts that way (base64url secrets, PEM). The first
 * key seals; the others only open what they sealed, for rotating the key.
 */
export class SigningKeySealer {
  private readonly keys: { fingerprint: string; key: Buffer }[];

  constructor(encryptionKeys: string[]) {
    this.keys = encryptionKeys.map((secret) => {
      const key = Buffer.from(hkdfSync('sha256', secret, 'tessera', 'signing-key-encryption', 32));
      // Names the key in sealed text without telling anything about it.
      const fingerprint = createHash('sha256').update(key).digest('base64url').slice(0, 8);
      return { fingerprint, key };
    });
  }

  /** Sealed with the current key, or the clear text itself when no key is configured. */
  seal(signingKeyId: string, clear: string): string {
    const current = this.keys[0];
    if (!current) return clear;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv).setAAD(Buffer.from(signingKeyId));
    const ciphertext = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${current.fingerprint}:${iv.toString('base64url')}:${ciphertext.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}`;
  }

  open(signingKeyId: string, stored: string): string {
    if (!isSealed(stored)) return stored;
    const [fingerprint, iv, ciphertext, tag] = stored.slice(SEALED_PREFIX.length).split(':');
    const entry = this.keys.find((candidate) => candidate.fingerprint === fingerprint);
    if (!entry) throw new Error(`signing key ${signingKeyId} is sealed with a key KEY_ENCRYPTION_KEY does not list (${fingerprint})`);
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'))
      .setAAD(Buffer.from(signingKeyId))
      .setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * Whether a stored value must be sealed again at start: with a key set, anything not sealed with
   * the current one (clear text included); with none, anything sealed (which then cannot be opened).
   */
  needsResealing(stored: string): boolean {
    const prefix = this.currentPrefix;
    return prefix ? !stored.startsWith(prefix) : isSealed(stored);
  }

  /**
   * Opened and sealed with the current key. What cannot be opened — sealed with a key the list no
   * longer has, or sealed while no key is set — stops the start naming the variable.
   */
  reseal(id: string, stored: string, what: string): string {
    if (!this.currentPrefix) {
      throw new ConfigError('KEY_ENCRYPTION_KEY', `the ${what} in the database are encrypted: set the key they were sealed with`);
    }
    try {
      return this.seal(id, this.open(id, stored));
    } catch (error) {
      throw new ConfigError('KEY_ENCRYPTION_KEY', `cannot open the ${what} in the database: ${(error as Error).message}`);
    }
  }

  /** How every value sealed with today's key starts; null while no key is set. */
  get currentPrefix(): string | null {
    return this.keys[0] ? `${SEALED_PREFIX}${this.keys[0].fingerprint}:` : null;
  }
}

const isSealed = (stored: string) => stored.startsWith(SEALED_PREFIX);

/**
 * At start: seal every signing key that is in clear or sealed with an older key, with the current
 * one (in one transaction, before this instance serves). Without KEY_ENCRYPTION_KEY, refuse to start
 * over sealed keys rather than fail on every token later. A key missing from the list stops the
 * start too, naming its fingerprint.
 */
export async function sealSigningKeys(em: EntityManager, sealer: SigningKeySealer): Promise<number> {
  const prefix = sealer.currentPrefix;
  // Only the rows that need work are read (and locked): sealed with another key or in clear when a
  // key is set, sealed at all when none is.
  return em.transactional(async (tx) => {
    const store = new SigningKeyStore(tx);
    const rows = prefix ? await store.lockWhereSecret(prefix, false) : await store.lockWhereSecret(SEALED_PREFIX, true);
    for (const row of rows) {
      const column = row.secret !== null ? 'secret' : 'private_key_pem';
      await store.writeSecret(row.id, column, sealer.reseal(row.id, row[column]!, 'signing keys'));
    }
    return rows.length;
  });
}
