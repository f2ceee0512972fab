// Typed domain errors. Services throw these; src/graphql/errors.ts maps them to extensions.code.
// Their messages are written for API clients: never put secrets, SQL or internals in them.

export type ErrorCode =
  'INVALID_CREDENTIALS' | 'INVALID_REFRESH_TOKEN' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what = 'Object') => new DomainError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'Not allowed') => new DomainError('FORBIDDEN', message);
export const unauthenticated = (message = 'Authentication required') => new DomainError('UNAUTHENTICATED', message);
export const badInput = (field: string, message: string) => new DomainError('BAD_USER_INPUT', message, { field });
export const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Invalid username or password');
export const invalidRefreshToken = () => new DomainError('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token');
export const rateLimited = (retryAfterSeconds: number) =>
  new DomainError('RATE_LIMITED', 'Too many attempts, try again later', { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) });
