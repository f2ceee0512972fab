export * from './realm.js';
export * from './signing-key.js';
export * from './user.js';
export * from './api-key.js';
export * from './org.js';
export * from './session.js';
export * from './admin-key.js';
export * from './audit-event.js';
import { Realm } from './realm.js';
import { SigningKey } from './signing-key.js';
import { User } from './user.js';
import { ApiKey } from './api-key.js';
import { Org, Membership } from './org.js';
import { Session, RefreshToken } from './session.js';
import { AdminKey } from './admin-key.js';
import { AuditEvent } from './audit-event.js';

export const allEntities = [Realm, SigningKey, User, ApiKey, Org, Membership, Session, RefreshToken, AdminKey, AuditEvent];
