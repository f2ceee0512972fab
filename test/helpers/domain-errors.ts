import { expect } from 'vitest';
import { DomainError } from '../../src/errors.js';

/** The BAD_USER_INPUT field a call throws; fails the test when it does not throw one. */
export function rejectedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('BAD_USER_INPUT');
    return (error as DomainError).extensions.field as string;
  }
  throw new Error('expected a BAD_USER_INPUT error, nothing was thrown');
}
