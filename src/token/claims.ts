import type { JwtField, Membership, Org, Realm, User } from '../db/entities/index.js';

export interface MembershipWithOrg {
  membership: Membership;
  org: Org | null;
}

export interface ClaimsInput {
  realm: Pick<Realm, 'jwtFields'>;
  user: Pick<User, 'id' | 'username' | 'firstName' | 'lastName' | 'customAttributes'>;
  memberships: MembershipWithOrg[];
  sessionId: string | null;
  /** The API key an API user logged in with: its token names it (`akid`), and is checked against it. */
  apiKeyId?: string | null;
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date | null;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return false;
}

/** Drop null and empty values, as docs/concepts.md#login-tokens says: tokens live in 4 KB cookies. */
function compact<T extends Record<string, unknown>>(claims: T): Partial<T> {
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => !isEmpty(value))) as Partial<T>;
}

export function fullName(user: Pick<User, 'firstName' | 'lastName'>): string | null {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return name || null;
}

/** The claim set of a login token (without `iss`, which the signer adds per realm). */
export function buildClaims(input: ClaimsInput): Record<string, unknown> & { sub: string; jti: string; iat: number } {
  const fields = new Set<JwtField>(input.realm.jwtFields);
  const withAttributes = fields.has('CUSTOM_ATTRIBUTES');
  const withOrgs = fields.has('ORGS');
  const memberships = fields.has('MEMBERSHIPS')
    ? input.memberships.map(({ membership, org }) =>
        compact({
          p: membership.permissions,
          cs: withAttributes ? membership.customAttributes : null,
          oid: withOrgs ? membership.orgId : null,
          o: withOrgs ? org?.name : null,
          ocs: withAttributes && withOrgs ? org?.customAttributes : null,
        }),
      )
    : [];
  const { user } = input;
  return {
    sub: user.id,
    jti: input.tokenId,
    iat: Math.floor(input.issuedAt.getTime() / 1000),
    ...compact({
      uid: user.id,
      sid: input.sessionId,
      akid: input.apiKeyId,
      exp: input.expiresAt ? Math.floor(input.expiresAt.getTime() / 1000) : null,
      un: user.username,
      fn: user.firstName,
      ln: user.lastName,
      n: fullName(user),
      cs: withAttributes ? user.customAttributes : null,
      m: memberships,
    }),
  };
}
