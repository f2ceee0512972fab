import { EntitySchema } from '@mikro-orm/core';

/**
 * A relying party of a realm (an OAuth client): its id is the OAuth `client_id`. Only the SHA-256
 * of its secret is stored (the secret has 256 random bits); the secret is shown once.
 */
export class Client {
  id!: string;
  realmId!: string;
  name!: string;
  secretHash!: string;
  /** Where OpenID Connect back-channel logout tokens are POSTed; null: none. */
  backchannelLogoutUri!: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ClientSchema = new EntitySchema<Client>({
  class: Client,
  tableName: 'oauth_client',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    name: { type: 'string' },
    secretHash: { type: 'string' },
    backchannelLogoutUri: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
