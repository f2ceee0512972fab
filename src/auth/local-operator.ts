import { ADMIN_KEY_PREFIX } from './admin-keys.js';
import { constantTimeEqual, randomSecret } from './opaque-tokens.js';

/**
 * The credential an embedded server gives the CLI beside it (docs/operations.md#the-cli-beside-a-running-server):
 * PGlite serves one process, so while the server runs the CLI cannot open the database and talks
 * to the server's API instead. The credential is made at start, lives only in this process's
 * memory and in a 0600 file in DATA_DIR (server/local-server-file.ts), and dies with the process:
 * nothing of it is stored in the database, so a crash leaves no key behind. It grants what the
 * data directory's files already grant whoever can read them (the whole database), no more.
 */
export class LocalOperatorCredential {
  readonly secret = `${ADMIN_KEY_PREFIX}local_${randomSecret(32)}`;

  matches(candidate: string): boolean {
    return constantTimeEqual(candidate, this.secret);
  }
}
