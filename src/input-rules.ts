import { badInput } from './errors.js';
import type { JsonObject } from './db/entities/index.js';

// Shared shape rules for admin input. Each throws BAD_USER_INPUT naming the field.

export const MAX_CUSTOM_ATTRIBUTES_BYTES = 4096;
export const MAX_NAME_LENGTH = 200;

/**
 * Could this be one of our ids (src/db/ids.ts: a prefix and base64url)? Anything else cannot exist,
 * so lookups answer NOT_FOUND without asking the database — which also keeps bytes PostgreSQL
 * refuses in text (NUL) from turning a harmless lookup into a driver error.
 */
const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;
export function isWellFormedId(value: unknown): value is string {
  return typeof value === 'string' && ID_SHAPE.test(value);
}

export function checkText(value: string | null | undefined, field: string, max = MAX_NAME_LENGTH): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw badInput(field, `${field} must not contain control characters`);
  return trimmed === '' ? null : trimmed;
}

export function checkRequiredText(value: string | null | undefined, field: string, max = MAX_NAME_LENGTH): string {
  const text = checkText(value, field, max);
  if (text === null) throw badInput(field, `${field} must not be empty`);
  return text;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export function checkEmail(value: string | null | undefined, field = 'email'): string | null {
  const email = checkText(value, field, 254);
  if (email !== null && !EMAIL.test(email)) throw badInput(field, `${field} is not a valid email address`);
  return email;
}

/** Usernames: printable, no spaces, at most 100 characters (they travel in every token). */
export function checkUsername(value: string | null | undefined, field = 'username'): string {
  const username = checkRequiredText(value, field, 100);
  if (/\s/.test(username)) throw badInput(field, `${field} must not contain spaces`);
  return username;
}

/** Custom attributes ride in tokens (cookies hold 4 KB), so they are small JSON objects. */
export function checkCustomAttributes(value: unknown, field = 'customAttributes'): JsonObject {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badInput(field, `${field} must be a JSON object`);
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > MAX_CUSTOM_ATTRIBUTES_BYTES) {
    throw badInput(field, `${field} must be at most ${MAX_CUSTOM_ATTRIBUTES_BYTES} bytes of JSON`);
  }
  // PostgreSQL jsonb cannot store U+0000 in a string: refuse it here rather than fail in the driver.
  if (containsNul(value)) throw badInput(field, `${field} must not contain the NUL character`);
  return value as JsonObject;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || containsNul(inner));
  }
  return false;
}

export const MAX_PERMISSIONS = 100;
export function checkPermissions(value: unknown, field = 'permissions'): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PERMISSIONS) {
    throw badInput(field, `${field} must be a list of at most ${MAX_PERMISSIONS} strings`);
  }
  const permissions = value.map((p) => {
    // eslint-disable-next-line no-control-regex
    if (typeof p !== 'string' || !p.trim() || p.length > 100 || /[\s\u0000-\u001f\u007f]/.test(p)) {
      throw badInput(field, `each permission must be a non-empty string of at most 100 characters without spaces or control characters`);
    }
    return p;
  });
  return [...new Set(permissions)];
}
