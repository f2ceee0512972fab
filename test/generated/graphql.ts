/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar. */
  DateTime: { input: string; output: string; }
  /** The `JSONObject` scalar type represents JSON objects as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSONObject: { input: Record<string, any>; output: Record<string, any>; }
};

/** An operator credential. Only its hash is stored; the key itself was shown once, at creation. */
export type AdminKey = {
  __typename?: 'AdminKey';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** Last request with the key, to the minute. */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Unique among live keys. */
  name: Scalars['String']['output'];
  /** The one realm the key reaches; null for every realm. */
  realmId?: Maybe<Scalars['ID']['output']>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  scopes: Array<AdminScope>;
};

export type AdminKeyCreated = {
  __typename?: 'AdminKeyCreated';
  adminKey: AdminKey;
  /** The key: shown once; only its hash is stored. */
  key: Scalars['String']['output'];
};

export type AdminScope =
  | 'ADMIN_KEYS_MANAGE'
  | 'REALMS_MANAGE'
  | 'REALMS_READ'
  | 'SESSIONS_READ'
  | 'SESSIONS_TERMINATE'
  | 'USERS_MANAGE'
  | 'USERS_READ';

export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
};

export type ApiKeyCreated = {
  __typename?: 'ApiKeyCreated';
  /** The key itself: shown this once, stored only as a hash. */
  apiKey: Scalars['String']['output'];
  key: ApiKey;
};

export type ApiKeyLoginInput = {
  apiKey: Scalars['String']['input'];
  realmId: Scalars['ID']['input'];
};

export type AuditEvent = {
  __typename?: 'AuditEvent';
  /** 'user:<id>', 'admin:<keyId>', 'system' or 'anonymous' */
  actor: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  data: Scalars['JSONObject']['output'];
  id: Scalars['ID']['output'];
  ip?: Maybe<Scalars['String']['output']>;
  reason?: Maybe<Scalars['String']['output']>;
  sessionId?: Maybe<Scalars['ID']['output']>;
  type: Scalars['String']['output'];
  userId?: Maybe<Scalars['ID']['output']>;
};

export type AuditEventConnection = {
  __typename?: 'AuditEventConnection';
  edges: Array<AuditEventEdge>;
  pageInfo: PageInfo;
};

export type AuditEventEdge = {
  __typename?: 'AuditEventEdge';
  cursor: Scalars['String']['output'];
  node: AuditEvent;
};

/** A relying party of a realm (OAuth client). Its id is the OAuth client_id. */
export type Client = {
  __typename?: 'Client';
  /** Receives an OpenID Connect back-channel logout token whenever a session of the realm ends. */
  backchannelLogoutUri?: Maybe<Scalars['String']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** The OAuth client_id. */
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  realm: Realm;
  updatedAt: Scalars['DateTime']['output'];
};

export type ClientCreated = {
  __typename?: 'ClientCreated';
  client: Client;
  /** Shown once; only its hash is stored. */
  clientSecret: Scalars['String']['output'];
};

export type ClientInput = {
  /** Client application id, shown in session lists. */
  app?: InputMaybe<Scalars['String']['input']>;
  userAgent?: InputMaybe<Scalars['String']['input']>;
};

export type CreateAdminKeyInput = {
  name: Scalars['String']['input'];
  /** Limit the key to this realm; a realm-limited caller must give its own realm. */
  realmId?: InputMaybe<Scalars['ID']['input']>;
  /** Only scopes the calling key has itself. */
  scopes: Array<AdminScope>;
};

export type CreateClientInput = {
  backchannelLogoutUri?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  realmId: Scalars['ID']['input'];
};

export type CreateMembershipInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  /** Omit for a realm-wide membership. */
  orgId?: InputMaybe<Scalars['ID']['input']>;
  permissions?: InputMaybe<Array<Scalars['String']['input']>>;
  userId: Scalars['ID']['input'];
};

export type CreateOrgInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  name: Scalars['String']['input'];
  realmId: Scalars['ID']['input'];
};

export type CreateRealmInput = {
  accessTokenSeconds?: InputMaybe<Scalars['Int']['input']>;
  apiKeyMinutes?: InputMaybe<Scalars['Int']['input']>;
  idleTimeoutSeconds?: InputMaybe<Scalars['Int']['input']>;
  jwtAlgorithm?: InputMaybe<JwtAlgorithm>;
  jwtFields?: InputMaybe<Array<JwtField>>;
  maxActiveSessions?: InputMaybe<Scalars['Int']['input']>;
  name: Scalars['String']['input'];
  sessionMinutes?: InputMaybe<Scalars['Int']['input']>;
  sessionType?: InputMaybe<SessionType>;
};

export type CreateUserInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  email?: InputMaybe<Scalars['String']['input']>;
  firstName?: InputMaybe<Scalars['String']['input']>;
  kind?: InputMaybe<UserKind>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  /** Required for HUMAN users, refused for API users. */
  password?: InputMaybe<Scalars['String']['input']>;
  realmId: Scalars['ID']['input'];
  username: Scalars['String']['input'];
};

export type CreateWebhookEndpointInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  eventTypes: Array<WebhookEventType>;
  realmId: Scalars['ID']['input'];
  url: Scalars['String']['input'];
};

export type JwtAlgorithm =
  | 'HS256'
  | 'RS256';

export type JwtField =
  | 'CUSTOM_ATTRIBUTES'
  | 'MEMBERSHIPS'
  | 'ORGS';

export type LoginInput = {
  client?: InputMaybe<ClientInput>;
  password: Scalars['String']['input'];
  realmId: Scalars['ID']['input'];
  username: Scalars['String']['input'];
};

export type LoginResult = {
  __typename?: 'LoginResult';
  /** The login token (JWT). */
  accessToken: Scalars['String']['output'];
  /** Size of the login token; above 4096 it will not fit a cookie. */
  accessTokenBytes: Scalars['Int']['output'];
  accessTokenExpiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** Managed sessions only; rotates on every refresh. */
  refreshToken?: Maybe<Scalars['String']['output']>;
  session?: Maybe<Session>;
  user: User;
};

export type Membership = {
  __typename?: 'Membership';
  createdAt: Scalars['DateTime']['output'];
  customAttributes: Scalars['JSONObject']['output'];
  id: Scalars['ID']['output'];
  org?: Maybe<Org>;
  /** null for a realm-wide membership */
  orgId?: Maybe<Scalars['ID']['output']>;
  permissions: Array<Scalars['String']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  userId: Scalars['ID']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** A user changes its own password (user login token). A wrong currentPassword is INVALID_CREDENTIALS, throttled like a login. Every other session of the user ends (PASSWORD_CHANGED); the caller's session continues with the fresh tokens answered here, and its old refresh token no longer works. */
  changePassword: LoginResult;
  /** A new admin key (ADMIN_KEYS_MANAGE), never with more power than the calling key. */
  createAdminKey: AdminKeyCreated;
  createApiKey: ApiKeyCreated;
  createClient: ClientCreated;
  createMembership: Membership;
  createOrg: Org;
  createRealm: Realm;
  createUser: User;
  createWebhookEndpoint: WebhookEndpointCreated;
  deleteClient: Scalars['Boolean']['output'];
  deleteMembership: Scalars['Boolean']['output'];
  /** Deletes an org and its memberships (USERS_MANAGE). Audit rows stay until their retention. */
  deleteOrg: Scalars['Boolean']['output'];
  /** Deletes a realm and everything in it (REALMS_MANAGE): every session ends first (USER_DELETED, with its events), then its users, orgs, keys, clients and webhook endpoints go, and the admin keys limited to it. `confirmName` must be the realm's name. Audit rows stay until their retention. */
  deleteRealm: Scalars['Boolean']['output'];
  /** Deletes a user (USERS_MANAGE): its sessions end first (USER_DELETED, with their events), then it goes with its memberships and API keys. Audit rows stay until their retention. */
  deleteUser: Scalars['Boolean']['output'];
  deleteWebhookEndpoint: Scalars['Boolean']['output'];
  login: LoginResult;
  loginWithApiKey: LoginResult;
  /** Ends the caller's own session (LOGOUT). False for unmanaged tokens, which cannot be ended. */
  logout: Scalars['Boolean']['output'];
  redeliverWebhook: WebhookDelivery;
  refresh: LoginResult;
  /** Revoke a signing key now (a leak): it verifies nothing from now on and leaves the JWKS; the sessions whose latest token it signed end (TERMINATED_BY_ADMIN). Retiring the key that signs makes a new one. */
  retireRealmKey: Realm;
  /** Revoke at once on every instance: true when this call revoked it, false when it already was. */
  revokeAdminKey: Scalars['Boolean']['output'];
  revokeApiKey: Scalars['Boolean']['output'];
  rotateClientSecret: ClientCreated;
  rotateRealmKey: Realm;
  rotateWebhookSecret: WebhookEndpointCreated;
  /** Sets a HUMAN user's password and terminates all its sessions (PASSWORD_CHANGED). */
  setPassword: User;
  /** Ends every active session of a user; returns how many (a kept current session is not counted). */
  terminateAllSessions: Scalars['Int']['output'];
  /** Ends every active session of a realm ("log everyone out" after an incident). */
  terminateRealmSessions: Scalars['Int']['output'];
  terminateSession: Session;
  updateClient: Client;
  /** A user edits its own profile (user login token). */
  updateMe: User;
  updateMembership: Membership;
  updateOrg: Org;
  updateRealm: Realm;
  updateUser: User;
  updateWebhookEndpoint: WebhookEndpoint;
};


export type MutationChangePasswordArgs = {
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
};


export type MutationCreateAdminKeyArgs = {
  input: CreateAdminKeyInput;
};


export type MutationCreateApiKeyArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationCreateClientArgs = {
  input: CreateClientInput;
};


export type MutationCreateMembershipArgs = {
  input: CreateMembershipInput;
};


export type MutationCreateOrgArgs = {
  input: CreateOrgInput;
};


export type MutationCreateRealmArgs = {
  input: CreateRealmInput;
};


export type MutationCreateUserArgs = {
  input: CreateUserInput;
};


export type MutationCreateWebhookEndpointArgs = {
  input: CreateWebhookEndpointInput;
};


export type MutationDeleteClientArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteMembershipArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteOrgArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteRealmArgs = {
  confirmName: Scalars['String']['input'];
  id: Scalars['ID']['input'];
};


export type MutationDeleteUserArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


export type MutationLoginArgs = {
  input: LoginInput;
};


export type MutationLoginWithApiKeyArgs = {
  input: ApiKeyLoginInput;
};


export type MutationRedeliverWebhookArgs = {
  deliveryId: Scalars['ID']['input'];
};


export type MutationRefreshArgs = {
  refreshToken: Scalars['String']['input'];
};


export type MutationRetireRealmKeyArgs = {
  id: Scalars['ID']['input'];
  kid: Scalars['ID']['input'];
};


export type MutationRevokeAdminKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRotateClientSecretArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRotateRealmKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRotateWebhookSecretArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetPasswordArgs = {
  password: Scalars['String']['input'];
  userId: Scalars['ID']['input'];
};


export type MutationTerminateAllSessionsArgs = {
  keepCurrent?: InputMaybe<Scalars['Boolean']['input']>;
  userId: Scalars['ID']['input'];
};


export type MutationTerminateRealmSessionsArgs = {
  realmId: Scalars['ID']['input'];
};


export type MutationTerminateSessionArgs = {
  id: Scalars['ID']['input'];
};


export type MutationUpdateClientArgs = {
  id: Scalars['ID']['input'];
  input: UpdateClientInput;
};


export type MutationUpdateMeArgs = {
  input: UpdateMeInput;
};


export type MutationUpdateMembershipArgs = {
  id: Scalars['ID']['input'];
  input: UpdateMembershipInput;
};


export type MutationUpdateOrgArgs = {
  id: Scalars['ID']['input'];
  input: UpdateOrgInput;
};


export type MutationUpdateRealmArgs = {
  id: Scalars['ID']['input'];
  input: UpdateRealmInput;
};


export type MutationUpdateUserArgs = {
  id: Scalars['ID']['input'];
  input: UpdateUserInput;
};


export type MutationUpdateWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
  input: UpdateWebhookEndpointInput;
};

export type Org = {
  __typename?: 'Org';
  createdAt: Scalars['DateTime']['output'];
  customAttributes: Scalars['JSONObject']['output'];
  id: Scalars['ID']['output'];
  memberships: Array<Membership>;
  name: Scalars['String']['output'];
  realmId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type OrgConnection = {
  __typename?: 'OrgConnection';
  edges: Array<OrgEdge>;
  pageInfo: PageInfo;
};

export type OrgEdge = {
  __typename?: 'OrgEdge';
  cursor: Scalars['String']['output'];
  node: Org;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type Query = {
  __typename?: 'Query';
  /** Admin keys in the caller's reach, revoked ones too (ADMIN_KEYS_MANAGE). */
  adminKeys: Array<AdminKey>;
  /** The audit trail of a realm, newest first (REALMS_READ). */
  auditEvents: AuditEventConnection;
  client?: Maybe<Client>;
  clients: Array<Client>;
  /** The user behind a login token, and its current session. */
  me?: Maybe<Viewer>;
  org?: Maybe<Org>;
  orgs: OrgConnection;
  realm?: Maybe<Realm>;
  /** The durable event record of a realm, oldest first, for pollers (SESSIONS_READ). Page on with `after` = the last cursor. */
  realmEvents: SessionEventConnection;
  realms: RealmConnection;
  session?: Maybe<Session>;
  /** Sessions of a realm, newest first. Users see only their own. */
  sessions: SessionConnection;
  user?: Maybe<User>;
  users: UserConnection;
  /** Server-side check of a login token, including the state of its managed session. Never errors for a bad token. */
  verifyToken: TokenVerification;
  webhookEndpoint?: Maybe<WebhookEndpoint>;
  webhookEndpoints: Array<WebhookEndpoint>;
};


export type QueryAuditEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  realmId: Scalars['ID']['input'];
  sessionId?: InputMaybe<Scalars['ID']['input']>;
  type?: InputMaybe<Scalars['String']['input']>;
  userId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryClientArgs = {
  id: Scalars['ID']['input'];
};


export type QueryClientsArgs = {
  realmId: Scalars['ID']['input'];
};


export type QueryOrgArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrgsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  realmId: Scalars['ID']['input'];
};


export type QueryRealmArgs = {
  id: Scalars['ID']['input'];
};


export type QueryRealmEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  realmId: Scalars['ID']['input'];
};


export type QueryRealmsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QuerySessionArgs = {
  id: Scalars['ID']['input'];
};


export type QuerySessionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  realmId: Scalars['ID']['input'];
  state?: InputMaybe<SessionState>;
  userId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  query?: InputMaybe<Scalars['String']['input']>;
  realmId: Scalars['ID']['input'];
};


export type QueryVerifyTokenArgs = {
  token: Scalars['String']['input'];
};


export type QueryWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


export type QueryWebhookEndpointsArgs = {
  realmId: Scalars['ID']['input'];
};

/** A tenant: its own users, orgs, signing keys and settings. */
export type Realm = {
  __typename?: 'Realm';
  accessTokenSeconds: Scalars['Int']['output'];
  /** null = open-ended */
  apiKeyMinutes?: Maybe<Scalars['Int']['output']>;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** null = no idle timeout */
  idleTimeoutSeconds?: Maybe<Scalars['Int']['output']>;
  issuer: Scalars['String']['output'];
  jwksUrl: Scalars['String']['output'];
  jwtAlgorithm: JwtAlgorithm;
  jwtFields: Array<JwtField>;
  /** RS256 public key (PEM, SPKI) of the current signing key. */
  jwtPublicKey?: Maybe<Scalars['String']['output']>;
  /** HS256 signing secret (use its UTF-8 bytes as the HMAC key). REALMS_MANAGE only. */
  jwtSecret?: Maybe<Scalars['String']['output']>;
  maxActiveSessions: Scalars['Int']['output'];
  name: Scalars['String']['output'];
  /** null = open-ended (UNMANAGED only) */
  sessionMinutes?: Maybe<Scalars['Int']['output']>;
  sessionType: SessionType;
  /** The `kid` of the key that signs new tokens. */
  signingKeyId?: Maybe<Scalars['String']['output']>;
  /** Every signing key of the realm, newest first, retired ones too. REALMS_READ. */
  signingKeys: Array<SigningKey>;
  updatedAt: Scalars['DateTime']['output'];
};

export type RealmConnection = {
  __typename?: 'RealmConnection';
  edges: Array<RealmEdge>;
  pageInfo: PageInfo;
};

export type RealmEdge = {
  __typename?: 'RealmEdge';
  cursor: Scalars['String']['output'];
  node: Realm;
};

/** A managed session: one successful login, tracked server-side. */
export type Session = {
  __typename?: 'Session';
  app?: Maybe<Scalars['String']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** True for the caller's own session. */
  current: Scalars['Boolean']['output'];
  expiresAt: Scalars['DateTime']['output'];
  /** Also the `sid` claim of its tokens. */
  id: Scalars['ID']['output'];
  idleExpiresAt?: Maybe<Scalars['DateTime']['output']>;
  ip?: Maybe<Scalars['String']['output']>;
  lastActiveAt: Scalars['DateTime']['output'];
  realm: Realm;
  state: SessionState;
  terminatedAt?: Maybe<Scalars['DateTime']['output']>;
  terminationReason?: Maybe<TerminationReason>;
  user: User;
  userAgent?: Maybe<Scalars['String']['output']>;
};

export type SessionConnection = {
  __typename?: 'SessionConnection';
  edges: Array<SessionEdge>;
  pageInfo: PageInfo;
};

export type SessionEdge = {
  __typename?: 'SessionEdge';
  cursor: Scalars['String']['output'];
  node: Session;
};

/** One entry of the durable event record: what happened to a session, in the realm's order. */
export type SessionEvent = {
  __typename?: 'SessionEvent';
  at: Scalars['DateTime']['output'];
  /** Opaque; later events of a realm have greater cursors. Resume a feed after it. */
  cursor: Scalars['String']['output'];
  /** Unique; the same event always has the same id (a webhook delivery carries it too). */
  id: Scalars['ID']['output'];
  reason?: Maybe<TerminationReason>;
  /** The session as it is now; null once it has been deleted with its user (deleteUser, deleteRealm). */
  session?: Maybe<Session>;
  /** The session the event is about; kept after the session itself is deleted. */
  sessionId: Scalars['ID']['output'];
  type: SessionEventType;
  /** The session's user; kept after the user is deleted. */
  userId: Scalars['ID']['output'];
};

export type SessionEventConnection = {
  __typename?: 'SessionEventConnection';
  edges: Array<SessionEventEdge>;
  pageInfo: PageInfo;
};

export type SessionEventEdge = {
  __typename?: 'SessionEventEdge';
  cursor: Scalars['String']['output'];
  node: SessionEvent;
};

export type SessionEventType =
  | 'CREATED'
  | 'REFRESHED'
  | 'TERMINATED';

export type SessionState =
  | 'ACTIVE'
  | 'EXPIRED'
  | 'TERMINATED';

export type SessionTerminatedEvent = {
  __typename?: 'SessionTerminatedEvent';
  realmId: Scalars['ID']['output'];
  reason: TerminationReason;
  sessionId: Scalars['ID']['output'];
  terminatedAt: Scalars['DateTime']['output'];
  userId: Scalars['ID']['output'];
};

export type SessionType =
  | 'MANAGED'
  | 'UNMANAGED';

/** One signing key of a realm (docs/security.md#signing-keys). Its `id` is the `kid` of the tokens it signed. */
export type SigningKey = {
  __typename?: 'SigningKey';
  algorithm: JwtAlgorithm;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** When a newer key took over signing; null while it signs. */
  rotatedAt?: Maybe<Scalars['DateTime']['output']>;
  /** After this it verifies nothing and is not in the JWKS. Null while it signs, or while tokens it signed may be open-ended. */
  verifiesUntil?: Maybe<Scalars['DateTime']['output']>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Every session event of a realm: CREATED, REFRESHED, TERMINATED (admin keys with SESSIONS_READ). With `after`, first every event after that cursor, then live, with no gap and no repeat. */
  sessionEvents: SessionEvent;
  /** Fires once when the session ends, for any reason (expiry included), then completes. A user token watches its own current session by default. */
  sessionTerminated: SessionTerminatedEvent;
};


export type SubscriptionSessionEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  realmId: Scalars['ID']['input'];
};


export type SubscriptionSessionTerminatedArgs = {
  sessionId?: InputMaybe<Scalars['ID']['input']>;
};

export type TerminationReason =
  | 'EVICTED'
  | 'EXPIRED'
  | 'IDLE_TIMEOUT'
  | 'LOGOUT'
  | 'PASSWORD_CHANGED'
  | 'REFRESH_TOKEN_REUSED'
  | 'TERMINATED_BY_ADMIN'
  | 'TERMINATED_BY_USER'
  | 'USER_DELETED'
  | 'USER_DISABLED';

export type TokenVerification = {
  __typename?: 'TokenVerification';
  claims?: Maybe<Scalars['JSONObject']['output']>;
  reason?: Maybe<Scalars['String']['output']>;
  session?: Maybe<Session>;
  valid: Scalars['Boolean']['output'];
};

/** Every field optional; an explicit null backchannelLogoutUri removes it. */
export type UpdateClientInput = {
  backchannelLogoutUri?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateMeInput = {
  /** Unique among the users of the realm (case-insensitive). */
  email?: InputMaybe<Scalars['String']['input']>;
  firstName?: InputMaybe<Scalars['String']['input']>;
  lastName?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateMembershipInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  permissions?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type UpdateOrgInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};

/** Every field optional; an explicit null makes sessionMinutes, apiKeyMinutes or idleTimeoutSeconds open-ended. */
export type UpdateRealmInput = {
  accessTokenSeconds?: InputMaybe<Scalars['Int']['input']>;
  apiKeyMinutes?: InputMaybe<Scalars['Int']['input']>;
  idleTimeoutSeconds?: InputMaybe<Scalars['Int']['input']>;
  jwtAlgorithm?: InputMaybe<JwtAlgorithm>;
  jwtFields?: InputMaybe<Array<JwtField>>;
  maxActiveSessions?: InputMaybe<Scalars['Int']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  sessionMinutes?: InputMaybe<Scalars['Int']['input']>;
  sessionType?: InputMaybe<SessionType>;
};

export type UpdateUserInput = {
  customAttributes?: InputMaybe<Scalars['JSONObject']['input']>;
  /** Disabling a user terminates all its sessions (USER_DISABLED). */
  disabled?: InputMaybe<Scalars['Boolean']['input']>;
  email?: InputMaybe<Scalars['String']['input']>;
  firstName?: InputMaybe<Scalars['String']['input']>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  username?: InputMaybe<Scalars['String']['input']>;
};

/** Every field optional; an explicit null description removes it. */
export type UpdateWebhookEndpointInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  eventTypes?: InputMaybe<Array<WebhookEventType>>;
  url?: InputMaybe<Scalars['String']['input']>;
};

export type User = {
  __typename?: 'User';
  /** API keys of an API user (admins with USERS_READ; empty for others). */
  apiKeys: Array<ApiKey>;
  createdAt: Scalars['DateTime']['output'];
  customAttributes: Scalars['JSONObject']['output'];
  disabled: Scalars['Boolean']['output'];
  email?: Maybe<Scalars['String']['output']>;
  firstName?: Maybe<Scalars['String']['output']>;
  /** Also the `sub` and `uid` claims of its tokens. */
  id: Scalars['ID']['output'];
  kind: UserKind;
  lastLoginAt?: Maybe<Scalars['DateTime']['output']>;
  lastName?: Maybe<Scalars['String']['output']>;
  memberships: Array<Membership>;
  /** Full name, from firstName and lastName. */
  name?: Maybe<Scalars['String']['output']>;
  realm: Realm;
  updatedAt: Scalars['DateTime']['output'];
  username: Scalars['String']['output'];
};

export type UserConnection = {
  __typename?: 'UserConnection';
  edges: Array<UserEdge>;
  pageInfo: PageInfo;
};

export type UserEdge = {
  __typename?: 'UserEdge';
  cursor: Scalars['String']['output'];
  node: User;
};

export type UserKind =
  | 'API'
  | 'HUMAN';

export type Viewer = {
  __typename?: 'Viewer';
  session?: Maybe<Session>;
  user: User;
};

/** One event sent to one endpoint, with its attempts (docs/webhooks.md). */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  attempts: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  /** The webhook-id header: the same on every attempt. */
  eventId: Scalars['ID']['output'];
  eventType: WebhookEventType;
  id: Scalars['ID']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  lastResponseStatus?: Maybe<Scalars['Int']['output']>;
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  status: WebhookDeliveryStatus;
};

export type WebhookDeliveryConnection = {
  __typename?: 'WebhookDeliveryConnection';
  edges: Array<WebhookDeliveryEdge>;
  pageInfo: PageInfo;
};

export type WebhookDeliveryEdge = {
  __typename?: 'WebhookDeliveryEdge';
  cursor: Scalars['String']['output'];
  node: WebhookDelivery;
};

export type WebhookDeliveryStatus =
  | 'FAILED'
  | 'PENDING'
  | 'SUCCEEDED';

/** A URL that receives the realm’s session events, signed per Standard Webhooks. */
export type WebhookEndpoint = {
  __typename?: 'WebhookEndpoint';
  createdAt: Scalars['DateTime']['output'];
  deliveries: WebhookDeliveryConnection;
  description?: Maybe<Scalars['String']['output']>;
  /** Why Tessera disabled it (every delivery failed for 3 days). */
  disabledReason?: Maybe<Scalars['String']['output']>;
  enabled: Scalars['Boolean']['output'];
  eventTypes: Array<WebhookEventType>;
  id: Scalars['ID']['output'];
  realm: Realm;
  url: Scalars['String']['output'];
};


/** A URL that receives the realm’s session events, signed per Standard Webhooks. */
export type WebhookEndpointDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type WebhookEndpointCreated = {
  __typename?: 'WebhookEndpointCreated';
  endpoint: WebhookEndpoint;
  /** whsec_…: shown once. Verify requests with it (Standard Webhooks). */
  secret: Scalars['String']['output'];
};

export type WebhookEventType =
  | 'SESSION_CREATED'
  | 'SESSION_REFRESHED'
  | 'SESSION_TERMINATED';

export type ClientFieldsFragment = { __typename?: 'Client', id: string, name: string, backchannelLogoutUri?: string | null, createdAt: string, realm: { __typename?: 'Realm', id: string } };

export type CreateClientMutationVariables = Exact<{
  input: CreateClientInput;
}>;


export type CreateClientMutation = { __typename?: 'Mutation', createClient: { __typename?: 'ClientCreated', clientSecret: string, client: { __typename?: 'Client', id: string, name: string, backchannelLogoutUri?: string | null, createdAt: string, realm: { __typename?: 'Realm', id: string } } } };

export type UpdateClientMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  input: UpdateClientInput;
}>;


export type UpdateClientMutation = { __typename?: 'Mutation', updateClient: { __typename?: 'Client', id: string, name: string, backchannelLogoutUri?: string | null, createdAt: string, realm: { __typename?: 'Realm', id: string } } };

export type DeleteClientMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DeleteClientMutation = { __typename?: 'Mutation', deleteClient: boolean };

export type RotateClientSecretMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RotateClientSecretMutation = { __typename?: 'Mutation', rotateClientSecret: { __typename?: 'ClientCreated', clientSecret: string, client: { __typename?: 'Client', id: string } } };

export type ClientsOfRealmQueryVariables = Exact<{
  realmId: Scalars['ID']['input'];
}>;


export type ClientsOfRealmQuery = { __typename?: 'Query', clients: Array<{ __typename?: 'Client', id: string, name: string, backchannelLogoutUri?: string | null, createdAt: string, realm: { __typename?: 'Realm', id: string } }> };

export type ClientByIdQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ClientByIdQuery = { __typename?: 'Query', client?: { __typename?: 'Client', id: string, name: string, backchannelLogoutUri?: string | null, createdAt: string, realm: { __typename?: 'Realm', id: string } } | null };

export type RealmFieldsFragment = { __typename?: 'Realm', id: string, name: string, jwtAlgorithm: JwtAlgorithm, jwtFields: Array<JwtField>, sessionType: SessionType, sessionMinutes?: number | null, apiKeyMinutes?: number | null, accessTokenSeconds: number, idleTimeoutSeconds?: number | null, maxActiveSessions: number, issuer: string, jwksUrl: string, jwtPublicKey?: string | null, signingKeyId?: string | null, createdAt: string };

export type SessionFieldsFragment = { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean };

export type CreateRealmMutationVariables = Exact<{
  input: CreateRealmInput;
}>;


export type CreateRealmMutation = { __typename?: 'Mutation', createRealm: { __typename?: 'Realm', jwtSecret?: string | null, id: string, name: string, jwtAlgorithm: JwtAlgorithm, jwtFields: Array<JwtField>, sessionType: SessionType, sessionMinutes?: number | null, apiKeyMinutes?: number | null, accessTokenSeconds: number, idleTimeoutSeconds?: number | null, maxActiveSessions: number, issuer: string, jwksUrl: string, jwtPublicKey?: string | null, signingKeyId?: string | null, createdAt: string } };

export type UpdateRealmMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  input: UpdateRealmInput;
}>;


export type UpdateRealmMutation = { __typename?: 'Mutation', updateRealm: { __typename?: 'Realm', id: string, name: string, jwtAlgorithm: JwtAlgorithm, jwtFields: Array<JwtField>, sessionType: SessionType, sessionMinutes?: number | null, apiKeyMinutes?: number | null, accessTokenSeconds: number, idleTimeoutSeconds?: number | null, maxActiveSessions: number, issuer: string, jwksUrl: string, jwtPublicKey?: string | null, signingKeyId?: string | null, createdAt: string } };

export type CreateUserMutationVariables = Exact<{
  input: CreateUserInput;
}>;


export type CreateUserMutation = { __typename?: 'Mutation', createUser: { __typename?: 'User', id: string, kind: UserKind, username: string, email?: string | null, firstName?: string | null, lastName?: string | null, name?: string | null, customAttributes: Record<string, any>, disabled: boolean, createdAt: string, lastLoginAt?: string | null } };

export type CreateOrgMutationVariables = Exact<{
  input: CreateOrgInput;
}>;


export type CreateOrgMutation = { __typename?: 'Mutation', createOrg: { __typename?: 'Org', id: string, name: string, customAttributes: Record<string, any> } };

export type CreateMembershipMutationVariables = Exact<{
  input: CreateMembershipInput;
}>;


export type CreateMembershipMutation = { __typename?: 'Mutation', createMembership: { __typename?: 'Membership', id: string, userId: string, orgId?: string | null, permissions: Array<string>, customAttributes: Record<string, any> } };

export type CreateApiKeyMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
}>;


export type CreateApiKeyMutation = { __typename?: 'Mutation', createApiKey: { __typename?: 'ApiKeyCreated', apiKey: string, key: { __typename?: 'ApiKey', id: string, createdAt: string } } };

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { __typename?: 'Mutation', login: { __typename?: 'LoginResult', accessToken: string, accessTokenExpiresAt?: string | null, refreshToken?: string | null, session?: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean } | null, user: { __typename?: 'User', id: string, username: string } } };

export type LoginWithApiKeyMutationVariables = Exact<{
  input: ApiKeyLoginInput;
}>;


export type LoginWithApiKeyMutation = { __typename?: 'Mutation', loginWithApiKey: { __typename?: 'LoginResult', accessToken: string, accessTokenExpiresAt?: string | null, refreshToken?: string | null, session?: { __typename?: 'Session', id: string } | null, user: { __typename?: 'User', id: string } } };

export type RefreshMutationVariables = Exact<{
  refreshToken: Scalars['String']['input'];
}>;


export type RefreshMutation = { __typename?: 'Mutation', refresh: { __typename?: 'LoginResult', accessToken: string, accessTokenExpiresAt?: string | null, refreshToken?: string | null, session?: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean } | null } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { __typename?: 'Query', me?: { __typename?: 'Viewer', user: { __typename?: 'User', id: string, username: string }, session?: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean } | null } | null };

export type LogoutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogoutMutation = { __typename?: 'Mutation', logout: boolean };

export type TerminateSessionMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type TerminateSessionMutation = { __typename?: 'Mutation', terminateSession: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean } };

export type LoginDetailedMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginDetailedMutation = { __typename?: 'Mutation', login: { __typename?: 'LoginResult', accessToken: string, accessTokenExpiresAt?: string | null, accessTokenBytes: number, refreshToken?: string | null, session?: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean, user: { __typename?: 'User', id: string }, realm: { __typename?: 'Realm', id: string } } | null, user: { __typename?: 'User', id: string, username: string, kind: UserKind, lastLoginAt?: string | null } } };

export type VerifyLoginTokenQueryVariables = Exact<{
  token: Scalars['String']['input'];
}>;


export type VerifyLoginTokenQuery = { __typename?: 'Query', verifyToken: { __typename?: 'TokenVerification', valid: boolean, reason?: string | null, claims?: Record<string, any> | null, session?: { __typename?: 'Session', id: string, state: SessionState } | null } };

export type SessionByIdQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type SessionByIdQuery = { __typename?: 'Query', session?: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean, user: { __typename?: 'User', id: string } } | null };

export type SessionsOfRealmQueryVariables = Exact<{
  realmId: Scalars['ID']['input'];
  userId?: InputMaybe<Scalars['ID']['input']>;
  state?: InputMaybe<SessionState>;
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type SessionsOfRealmQuery = { __typename?: 'Query', sessions: { __typename?: 'SessionConnection', edges: Array<{ __typename?: 'SessionEdge', cursor: string, node: { __typename?: 'Session', id: string, state: SessionState, createdAt: string, lastActiveAt: string, expiresAt: string, idleExpiresAt?: string | null, ip?: string | null, userAgent?: string | null, app?: string | null, terminatedAt?: string | null, terminationReason?: TerminationReason | null, current: boolean, user: { __typename?: 'User', id: string } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type TerminateAllSessionsOfUserMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  keepCurrent?: InputMaybe<Scalars['Boolean']['input']>;
}>;


export type TerminateAllSessionsOfUserMutation = { __typename?: 'Mutation', terminateAllSessions: number };

export type TerminateAllSessionsOfRealmMutationVariables = Exact<{
  realmId: Scalars['ID']['input'];
}>;


export type TerminateAllSessionsOfRealmMutation = { __typename?: 'Mutation', terminateRealmSessions: number };

export type SetUserPasswordMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  password: Scalars['String']['input'];
}>;


export type SetUserPasswordMutation = { __typename?: 'Mutation', setPassword: { __typename?: 'User', id: string } };

export type SetUserDisabledMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  disabled: Scalars['Boolean']['input'];
}>;


export type SetUserDisabledMutation = { __typename?: 'Mutation', updateUser: { __typename?: 'User', id: string, disabled: boolean } };

export type RotateSigningKeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RotateSigningKeyMutation = { __typename?: 'Mutation', rotateRealmKey: { __typename?: 'Realm', id: string, signingKeyId?: string | null, jwtPublicKey?: string | null } };

export type RealmSigningKeysQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RealmSigningKeysQuery = { __typename?: 'Query', realm?: { __typename?: 'Realm', id: string, issuer: string, jwksUrl: string, jwtAlgorithm: JwtAlgorithm, jwtSecret?: string | null, jwtPublicKey?: string | null, signingKeyId?: string | null } | null };

export type RevokeUserApiKeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RevokeUserApiKeyMutation = { __typename?: 'Mutation', revokeApiKey: boolean };

export type RealmAuditEventsQueryVariables = Exact<{
  realmId: Scalars['ID']['input'];
  type?: InputMaybe<Scalars['String']['input']>;
  userId?: InputMaybe<Scalars['ID']['input']>;
  sessionId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
}>;


export type RealmAuditEventsQuery = { __typename?: 'Query', auditEvents: { __typename?: 'AuditEventConnection', edges: Array<{ __typename?: 'AuditEventEdge', node: { __typename?: 'AuditEvent', id: string, type: string, actor: string, userId?: string | null, sessionId?: string | null, reason?: string | null, ip?: string | null, data: Record<string, any>, createdAt: string } }> } };

export const ClientFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClientFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ClientFieldsFragment, unknown>;
export const RealmFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RealmFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Realm"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"jwtAlgorithm"}},{"kind":"Field","name":{"kind":"Name","value":"jwtFields"}},{"kind":"Field","name":{"kind":"Name","value":"sessionType"}},{"kind":"Field","name":{"kind":"Name","value":"sessionMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"idleTimeoutSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxActiveSessions"}},{"kind":"Field","name":{"kind":"Name","value":"issuer"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUrl"}},{"kind":"Field","name":{"kind":"Name","value":"jwtPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"signingKeyId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<RealmFieldsFragment, unknown>;
export const SessionFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<SessionFieldsFragment, unknown>;
export const CreateClientDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateClient"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateClientInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientSecret"}},{"kind":"Field","name":{"kind":"Name","value":"client"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClientFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClientFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<CreateClientMutation, CreateClientMutationVariables>;
export const UpdateClientDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateClient"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateClientInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClientFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClientFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<UpdateClientMutation, UpdateClientMutationVariables>;
export const DeleteClientDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteClient"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<DeleteClientMutation, DeleteClientMutationVariables>;
export const RotateClientSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RotateClientSecret"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateClientSecret"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientSecret"}},{"kind":"Field","name":{"kind":"Name","value":"client"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<RotateClientSecretMutation, RotateClientSecretMutationVariables>;
export const ClientsOfRealmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClientsOfRealm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clients"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"realmId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClientFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClientFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ClientsOfRealmQuery, ClientsOfRealmQueryVariables>;
export const ClientByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClientById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"client"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClientFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClientFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ClientByIdQuery, ClientByIdQueryVariables>;
export const CreateRealmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateRealm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateRealmInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createRealm"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"RealmFields"}},{"kind":"Field","name":{"kind":"Name","value":"jwtSecret"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RealmFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Realm"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"jwtAlgorithm"}},{"kind":"Field","name":{"kind":"Name","value":"jwtFields"}},{"kind":"Field","name":{"kind":"Name","value":"sessionType"}},{"kind":"Field","name":{"kind":"Name","value":"sessionMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"idleTimeoutSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxActiveSessions"}},{"kind":"Field","name":{"kind":"Name","value":"issuer"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUrl"}},{"kind":"Field","name":{"kind":"Name","value":"jwtPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"signingKeyId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<CreateRealmMutation, CreateRealmMutationVariables>;
export const UpdateRealmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateRealm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateRealmInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateRealm"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"RealmFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RealmFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Realm"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"jwtAlgorithm"}},{"kind":"Field","name":{"kind":"Name","value":"jwtFields"}},{"kind":"Field","name":{"kind":"Name","value":"sessionType"}},{"kind":"Field","name":{"kind":"Name","value":"sessionMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"idleTimeoutSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxActiveSessions"}},{"kind":"Field","name":{"kind":"Name","value":"issuer"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUrl"}},{"kind":"Field","name":{"kind":"Name","value":"jwtPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"signingKeyId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<UpdateRealmMutation, UpdateRealmMutationVariables>;
export const CreateUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateUserInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"firstName"}},{"kind":"Field","name":{"kind":"Name","value":"lastName"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"customAttributes"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastLoginAt"}}]}}]}}]} as unknown as DocumentNode<CreateUserMutation, CreateUserMutationVariables>;
export const CreateOrgDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateOrg"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateOrgInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createOrg"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"customAttributes"}}]}}]}}]} as unknown as DocumentNode<CreateOrgMutation, CreateOrgMutationVariables>;
export const CreateMembershipDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateMembership"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateMembershipInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createMembership"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"orgId"}},{"kind":"Field","name":{"kind":"Name","value":"permissions"}},{"kind":"Field","name":{"kind":"Name","value":"customAttributes"}}]}}]}}]} as unknown as DocumentNode<CreateMembershipMutation, CreateMembershipMutationVariables>;
export const CreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiKey"}},{"kind":"Field","name":{"kind":"Name","value":"key"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]} as unknown as DocumentNode<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshToken"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const LoginWithApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LoginWithApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ApiKeyLoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"loginWithApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshToken"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<LoginWithApiKeyMutation, LoginWithApiKeyMutationVariables>;
export const RefreshDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Refresh"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"refreshToken"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refresh"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"refreshToken"},"value":{"kind":"Variable","name":{"kind":"Name","value":"refreshToken"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshToken"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<RefreshMutation, RefreshMutationVariables>;
export const MeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}}]}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<MeQuery, MeQueryVariables>;
export const LogoutDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Logout"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logout"}}]}}]} as unknown as DocumentNode<LogoutMutation, LogoutMutationVariables>;
export const TerminateSessionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TerminateSession"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"terminateSession"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<TerminateSessionMutation, TerminateSessionMutationVariables>;
export const LoginDetailedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LoginDetailed"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenBytes"}},{"kind":"Field","name":{"kind":"Name","value":"refreshToken"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"realm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"lastLoginAt"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<LoginDetailedMutation, LoginDetailedMutationVariables>;
export const VerifyLoginTokenDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VerifyLoginToken"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"token"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verifyToken"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"token"},"value":{"kind":"Variable","name":{"kind":"Name","value":"token"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"claims"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}}]}}]} as unknown as DocumentNode<VerifyLoginTokenQuery, VerifyLoginTokenQueryVariables>;
export const SessionByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SessionById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<SessionByIdQuery, SessionByIdQueryVariables>;
export const SessionsOfRealmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SessionsOfRealm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"state"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SessionState"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sessions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"realmId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}}},{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"state"},"value":{"kind":"Variable","name":{"kind":"Name","value":"state"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastActiveAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idleExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"app"}},{"kind":"Field","name":{"kind":"Name","value":"terminatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"terminationReason"}},{"kind":"Field","name":{"kind":"Name","value":"current"}}]}}]} as unknown as DocumentNode<SessionsOfRealmQuery, SessionsOfRealmQueryVariables>;
export const TerminateAllSessionsOfUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TerminateAllSessionsOfUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"keepCurrent"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"terminateAllSessions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"keepCurrent"},"value":{"kind":"Variable","name":{"kind":"Name","value":"keepCurrent"}}}]}]}}]} as unknown as DocumentNode<TerminateAllSessionsOfUserMutation, TerminateAllSessionsOfUserMutationVariables>;
export const TerminateAllSessionsOfRealmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TerminateAllSessionsOfRealm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"terminateRealmSessions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"realmId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}}}]}]}}]} as unknown as DocumentNode<TerminateAllSessionsOfRealmMutation, TerminateAllSessionsOfRealmMutationVariables>;
export const SetUserPasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetUserPassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setPassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<SetUserPasswordMutation, SetUserPasswordMutationVariables>;
export const SetUserDisabledDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetUserDisabled"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"disabled"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"disabled"},"value":{"kind":"Variable","name":{"kind":"Name","value":"disabled"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}}]}}]}}]} as unknown as DocumentNode<SetUserDisabledMutation, SetUserDisabledMutationVariables>;
export const RotateSigningKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RotateSigningKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateRealmKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"signingKeyId"}},{"kind":"Field","name":{"kind":"Name","value":"jwtPublicKey"}}]}}]}}]} as unknown as DocumentNode<RotateSigningKeyMutation, RotateSigningKeyMutationVariables>;
export const RealmSigningKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RealmSigningKeys"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"realm"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"issuer"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUrl"}},{"kind":"Field","name":{"kind":"Name","value":"jwtAlgorithm"}},{"kind":"Field","name":{"kind":"Name","value":"jwtSecret"}},{"kind":"Field","name":{"kind":"Name","value":"jwtPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"signingKeyId"}}]}}]}}]} as unknown as DocumentNode<RealmSigningKeysQuery, RealmSigningKeysQueryVariables>;
export const RevokeUserApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeUserApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<RevokeUserApiKeyMutation, RevokeUserApiKeyMutationVariables>;
export const RealmAuditEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RealmAuditEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"type"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"sessionId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"realmId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"realmId"}}},{"kind":"Argument","name":{"kind":"Name","value":"type"},"value":{"kind":"Variable","name":{"kind":"Name","value":"type"}}},{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"sessionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"sessionId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"sessionId"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"data"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RealmAuditEventsQuery, RealmAuditEventsQueryVariables>;