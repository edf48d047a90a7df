import { clerkSyncNext } from 'clerk-sync/next';

/**
 * One clerk-sync per server process, created on first use: migrations run once and the worker
 * processes events in this process, after the webhook was answered. Reads
 * CLERK_WEBHOOK_SIGNING_SECRET; DATABASE_URL is a postgres:// URL or a SQLite path.
 *
 * On serverless hosts, where nothing runs between requests, pass `worker: false` and run the
 * worker as a long-lived process elsewhere (`clerk-sync worker`, or a script that calls
 * createClerkSync({ handlers }).start() when you use handlers).
 */
export const clerkSync = clerkSyncNext({
  database: process.env.DATABASE_URL ?? './clerk-sync.db',
  handlers: {
    'user.created': async (event, ctx) => {
      // event.data is a User here; ctx.trx is the transaction of the sync writes.
      ctx.logger.info('welcome', { user_id: event.data.id, attempt: ctx.attempt });
    },
  },
});
