// Migrations are imported statically: under vitest and tsx the migrator cannot import .ts files by
// glob itself (ERR_UNKNOWN_FILE_EXTENSION). This list lives outside migrations/ so the CLI's glob
// does not mistake it for a migration. Append new migrations here, never edit shipped ones.
import { Migration20261122000000_initial } from '../../migrations/Migration20261122000000_initial.js';
import { Migration20261122000100_login_throttle } from '../../migrations/Migration20261122000100_login_throttle.js';
import { Migration20261122000200_open_session } from '../../migrations/Migration20261122000200_open_session.js';
import { Migration20261123000000_login_in_two_round_trips } from '../../migrations/Migration20261123000000_login_in_two_round_trips.js';
import { Migration20261123000100_no_foreign_keys_to_hot_realm_rows } from '../../migrations/Migration20261123000100_no_foreign_keys_to_hot_realm_rows.js';
import { Migration20261123000200_idle_sweep_schedule } from '../../migrations/Migration20261123000200_idle_sweep_schedule.js';
import { Migration20261123000300_time_ordered_audit_ids } from '../../migrations/Migration20261123000300_time_ordered_audit_ids.js';
import { Migration20261124000000_signing_key_lifetimes } from '../../migrations/Migration20261124000000_signing_key_lifetimes.js';
import { Migration20261124002000_oauth_clients } from '../../migrations/Migration20261124002000_oauth_clients.js';
import { Migration20261203000000_event_record_order } from '../../migrations/Migration20261203000000_event_record_order.js';
import { Migration20261203100000_login_known_addresses } from '../../migrations/Migration20261203100000_login_known_addresses.js';
import { Migration20261203230000_admin_keys_over_the_api } from '../../migrations/Migration20261203230000_admin_keys_over_the_api.js';
import { Migration20261204000000_webhooks } from '../../migrations/Migration20261204000000_webhooks.js';
import { Migration20261204180956_claim_in_due_order } from '../../migrations/Migration20261204180956_claim_in_due_order.js';

export const migrationsList = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261122000100_login_throttle', class: Migration20261122000100_login_throttle },
  { name: 'Migration20261122000200_open_session', class: Migration20261122000200_open_session },
  { name: 'Migration20261123000000_login_in_two_round_trips', class: Migration20261123000000_login_in_two_round_trips },
  { name: 'Migration20261123000100_no_foreign_keys_to_hot_realm_rows', class: Migration20261123000100_no_foreign_keys_to_hot_realm_rows },
  { name: 'Migration20261123000200_idle_sweep_schedule', class: Migration20261123000200_idle_sweep_schedule },
  { name: 'Migration20261123000300_time_ordered_audit_ids', class: Migration20261123000300_time_ordered_audit_ids },
  { name: 'Migration20261124000000_signing_key_lifetimes', class: Migration20261124000000_signing_key_lifetimes },
  { name: 'Migration20261124002000_oauth_clients', class: Migration20261124002000_oauth_clients },
  { name: 'Migration20261203000000_event_record_order', class: Migration20261203000000_event_record_order },
  { name: 'Migration20261203100000_login_known_addresses', class: Migration20261203100000_login_known_addresses },
  { name: 'Migration20261203230000_admin_keys_over_the_api', class: Migration20261203230000_admin_keys_over_the_api },
  { name: 'Migration20261204000000_webhooks', class: Migration20261204000000_webhooks },
  { name: 'Migration20261204180956_claim_in_due_order', class: Migration20261204180956_claim_in_due_order },
];
