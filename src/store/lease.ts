import type { Database } from './database.js';

/**
 * A named lease in clerk_sync_leases: one holder at a time across every process on the database,
 * for jobs that span many transactions (a reconcile). No session state is needed, so it works
 * through a transaction-mode pooler where advisory session locks do not. The holder renews it
 * while it works; a holder that died lets it expire.
 */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** Pushes the expiry forward; false when the lease was lost (expired and taken by another). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface LeaseHolder {
  holder: string;
  expiresAt: number;
}

/** Takes the lease if it is free or expired; null (and who holds it) otherwise. */
export async function acquireLease(database: Database, name: string, holder: string, ttlMs: number): Promise<Lease | { heldBy: LeaseHolder }> {
  const now = Date.now();
  const taken = await database.db
    .insertInto('clerk_sync_leases')
    .values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: now + ttlMs }).where('clerk_sync_leases.expires_at', '<', now))
    .returning('holder')
    .executeTakeFirst();
  if (!taken) {
    const row = await database.db.selectFrom('clerk_sync_leases').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
    return { heldBy: { holder: row?.holder ?? 'unknown', expiresAt: Number(row?.expires_at ?? now) } };
  }
  return {
    name,
    holder,
    async renew() {
      const r = await database.db.updateTable('clerk_sync_leases').set({ expires_at: Date.now() + ttlMs }).where('name', '=', name).where('holder', '=', holder).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async release() {
      await database.db.deleteFrom('clerk_sync_leases').where('name', '=', name).where('holder', '=', holder).execute();
    },
  };
}

/** Whether `acquireLease` answered a lease. */
export function isLease(x: Lease | { heldBy: LeaseHolder }): x is Lease {
  return 'renew' in x;
}

