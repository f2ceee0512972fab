export * from './realm.js';
export * from './signing-key.js';
export * from './user.js';
export * from './api-key.js';
export * from './org.js';
export * from './session.js';
export * from './admin-key.js';
export * from './audit-event.js';
export * from './client.js';
import { RealmSchema } from './realm.js';
import { SigningKeySchema } from './signing-key.js';
import { UserSchema } from './user.js';
import { ApiKeySchema } from './api-key.js';
import { OrgSchema, MembershipSchema } from './org.js';
import { SessionSchema, RefreshTokenSchema } from './session.js';
import { AdminKeySchema } from './admin-key.js';
import { AuditEventSchema } from './audit-event.js';
import { ClientSchema } from './client.js';

export const allEntities = [
  RealmSchema,
  SigningKeySchema,
  UserSchema,
  ApiKeySchema,
  OrgSchema,
  MembershipSchema,
  SessionSchema,
  RefreshTokenSchema,
  AdminKeySchema,
  AuditEventSchema,
  ClientSchema,
];
