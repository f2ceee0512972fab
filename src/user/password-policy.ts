import { readFileSync } from 'node:fs';
import { badInput } from '../errors.js';
import { checkPasswordShape } from '../auth/password.js';

const COMMON_PASSWORDS_FILE = new URL('./common-passwords.txt', import.meta.url);
let common: Set<string> | undefined;

/** The vendored list (common-passwords.txt: its header says where it comes from), read once. */
export function commonPasswords(): Set<string> {
  return (common ??= new Set(
    readFileSync(COMMON_PASSWORDS_FILE, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#')),
  ));
}

/**
 * What a new password must be (createUser, setPassword): within the length bounds, not one of the
 * most common passwords, and not the username or the realm's name — the first guesses of anyone
 * spraying, compared case-insensitively as guessers try them. Every refusal is BAD_USER_INPUT on
 * the password's field, and happens before any hashing.
 */
export class PasswordPolicy {
  constructor(private readonly minLength: number) {
    commonPasswords(); // read at start, not by the first request that needs it
  }

  check(password: string, context: { username: string; realmName: string }, field = 'password'): void {
    checkPasswordShape(password, field, this.minLength);
    const folded = password.trim().toLowerCase();
    if (folded === context.username.trim().toLowerCase() || folded === context.realmName.trim().toLowerCase()) {
      throw badInput(field, 'Password must not be the username or the realm name');
    }
    if (commonPasswords().has(folded)) throw badInput(field, 'Password is one of the most common passwords: choose another');
  }
}
