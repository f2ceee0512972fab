import { builder } from './builder.js';
import { ADMIN_SCOPES, JWT_ALGORITHMS, JWT_FIELDS, SESSION_STATES, SESSION_TYPES, TERMINATION_REASONS, USER_KINDS } from '../db/entities/index.js';

export const JwtAlgorithmEnum = builder.enumType('JwtAlgorithm', { values: JWT_ALGORITHMS });
export const JwtFieldEnum = builder.enumType('JwtField', { values: JWT_FIELDS });
export const SessionTypeEnum = builder.enumType('SessionType', { values: SESSION_TYPES });
export const UserKindEnum = builder.enumType('UserKind', { values: USER_KINDS });
export const SessionStateEnum = builder.enumType('SessionState', { values: SESSION_STATES });
export const TerminationReasonEnum = builder.enumType('TerminationReason', { values: TERMINATION_REASONS });
export const AdminScopeEnum = builder.enumType('AdminScope', { values: ADMIN_SCOPES });
