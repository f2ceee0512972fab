import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * A relying party of a realm (an OAuth client): its id is the OAuth `client_id`. Only the SHA-256
 * of its secret is stored (the secret has 256 random bits); the secret is shown once.
 */
export const Client = defineEntity({
  name: 'Client',
  tableName: 'oauth_client',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    name: p.string(),
    secretHash: p.string(),
    /** Where OpenID Connect back-channel logout tokens are POSTed; null: none. */
    backchannelLogoutUri: p.string().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  }),
});
export type Client = InferEntity<typeof Client>;
