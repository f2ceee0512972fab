import { Migration } from '@mikro-orm/migrations';

// Failed-login counters shared by every instance (throttling must hold across a load balancer).
// Keys are SHA-256 hashes of "account:<realm>:<username>", "account-ip:…" and "ip:<address>", so
// the table holds no usernames or addresses.
export class Migration20261122000100_login_throttle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table login_throttle (
        key text primary key,
        failures integer not null,
        last_failure_at timestamptz not null,
        blocked_until timestamptz
      );`);
    this.addSql(`create index login_throttle_last_failure_idx on login_throttle (last_failure_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists login_throttle;`);
  }
}
