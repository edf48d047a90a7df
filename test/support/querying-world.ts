import { sql } from 'kysely';
import { eventFixture } from '../../src/events/fixtures.js';
import type { DialectName } from '../../src/store/dialect.js';
import { freshDatabaseUrl, withDatabase } from './db.js';
import { waitFor } from './env.js';
import { startService } from './service.js';

/**
 * A small synced instance for the querying recipes (examples/querying/): real webhooks through a
 * real clerk-sync, so the rows are the sync's own.
 * - Ada (two addresses, the second primary) and Grace are users; Linus was deleted (a tombstone).
 * - Acme has Ada as `org:admin` and Grace as `org:member`, and had Linus (ended with him).
 * - Ada pays for an active subscription, Grace's ended.
 * The app's own `posts` table holds one post by each of the three.
 */
export interface QueryingWorld {
  url: string;
  ada: string;
  grace: string;
  linus: string;
  acme: string;
}

let n = 0;
const at = (minutes: number) => Date.UTC(2026, 0, 1) + minutes * 60_000;

function user(id: string, first: string, emails: string[], minute: number) {
  const e = eventFixture('user.created', { now: at(minute) });
  const addresses = emails.map((address, i) => ({ ...e.data.email_addresses[0]!, id: `idn_${first.toLowerCase()}${i}`, email_address: address }));
  Object.assign(e.data, { id, first_name: first, last_name: 'Test', email_addresses: addresses, primary_email_address_id: addresses.at(-1)!.id, created_at: at(minute), updated_at: at(minute) });
  return e;
}

function membership(id: string, org: string, userId: string, role: string, roleName: string, minute: number) {
  const e = eventFixture('organizationMembership.created', { now: at(minute) });
  Object.assign(e.data, { id, role, role_name: roleName, created_at: at(minute), updated_at: at(minute) });
  Object.assign(e.data.organization, { id: org, name: 'Acme', slug: 'acme' });
  Object.assign(e.data.public_user_data!, { user_id: userId });
  return e;
}

function subscription(id: string, userId: string, status: 'active' | 'ended', minute: number) {
  const e = eventFixture('subscription.created', { now: at(minute) });
  Object.assign(e.data, { id, status, ended_at: status === 'ended' ? at(minute) : null });
  Object.assign(e.data.payer, { user_id: userId, organization_id: '' });
  e.data.items = e.data.items.map((item, i) => ({ ...item, id: `${id}_item${i}`, status }));
  return e;
}

export async function syncQueryingWorld(dialect: DialectName): Promise<QueryingWorld> {
  const k = `${++n}${Date.now().toString(36)}`;
  const world = { ada: `user_ada${k}`, grace: `user_grace${k}`, linus: `user_linus${k}`, acme: `org_acme${k}` };
  const deleted = eventFixture('user.deleted', { now: at(30) });
  Object.assign(deleted.data, { id: world.linus });
  const events = [
    user(world.ada, 'Ada', [`ada.old@example.com`, `ada@example.com`], 1),
    user(world.grace, 'Grace', [`grace@example.com`], 2),
    user(world.linus, 'Linus', [`linus@example.com`], 3),
    membership(`orgmem_ada${k}`, world.acme, world.ada, 'org:admin', 'Admin', 10),
    membership(`orgmem_grace${k}`, world.acme, world.grace, 'org:member', 'Member', 11),
    membership(`orgmem_linus${k}`, world.acme, world.linus, 'org:member', 'Member', 12),
    subscription(`csub_ada${k}`, world.ada, 'active', 20),
    subscription(`csub_grace${k}`, world.grace, 'ended', 21),
    deleted,
  ];
  const url = await freshDatabaseUrl(dialect);
  const service = await startService({ dialect, database: url });
  try {
    for (const event of events) {
      const res = await service.send(event);
      if (res.status !== 200) throw new Error(`${event.type} was answered ${res.status}`);
    }
    await waitFor(async () => {
      const { rows } = await sql<{ n: number }>`select count(*) as n from clerk_webhook_events where status <> 'done'`.execute(service.sync.database.db);
      return Number(rows[0]!.n) === 0;
    }, { what: 'every event applied' });
  } finally {
    await service.close();
  }
  await withDatabase(url, async (database) => {
    await sql`create table posts (id integer primary key, author_id text not null, title text not null)`.execute(database.db);
    await sql`insert into posts (id, author_id, title) values (1, ${world.ada}, 'On engines'), (2, ${world.grace}, 'On compilers'), (3, ${world.linus}, 'On kernels')`.execute(database.db);
  });
  return { url, ...world };
}
