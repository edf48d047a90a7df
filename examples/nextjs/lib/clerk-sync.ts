import { clerkSyncNext } from 'clerk-sync/next';

/** The database clerk-sync writes and the users page reads (lib/db.ts). */
export const databaseUrl = process.env.DATABASE_URL ?? './clerk-sync.db';

/**
 * One clerk-sync per server process, created on first use. Reads CLERK_WEBHOOK_SIGNING_SECRET;
 * DATABASE_URL is a postgres:// URL (a provider's pooled URL is fine) or a SQLite path.
 *
 * On a long-lived server (`next start` on a VM or container) a worker processes events in this
 * process. On Vercel (or wherever CLERK_SYNC_SERVERLESS=1) nothing runs between requests: each
 * delivery is processed right after its answer, through next/server's after(), and the cron route
 * (app/api/cron/clerk-sync) picks up retries.
 */
export const clerkSync = clerkSyncNext({
  database: databaseUrl,
  handlers: {
    'user.created': async (event, ctx) => {
      // event.data is a User here; ctx.trx is the transaction of the sync writes.
      ctx.logger.info('welcome', { user_id: event.data.id, attempt: ctx.attempt });
      // Tell another service (a CRM, a mailer). If it fails, the event is retried later with
      // backoff, and the sync writes of this attempt roll back with it.
      const url = process.env.WELCOME_WEBHOOK_URL;
      if (url) {
        const res = await fetch(url, { method: 'POST', body: JSON.stringify({ user_id: event.data.id }), headers: { 'content-type': 'application/json', 'idempotency-key': ctx.svixId }, signal: ctx.signal });
        if (!res.ok) throw new Error(`the welcome service answered ${res.status}`);
      }
    },
  },
});
