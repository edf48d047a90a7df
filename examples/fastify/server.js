import Fastify from 'fastify';
import { createClerkSync, createLogger } from 'clerk-sync';
import { clerkSyncFastify } from 'clerk-sync/fastify';

// Reads CLERK_WEBHOOK_SIGNING_SECRET; DATABASE_URL is a postgres:// URL or a SQLite path.
const sync = await createClerkSync({
  database: process.env.DATABASE_URL ?? './clerk-sync.db',
  logger: createLogger('info'), // JSON lines on stderr: one per processed event
  handlers: {
    'user.created': async (event, ctx) => ctx.logger.info('welcome', { user_id: event.data.id }),
  },
});
await sync.start(); // migrations, then the worker (it runs handlers after the 200, never in the request)

const app = Fastify();
// An encapsulated plugin: its raw-body parser applies to POST /api/webhooks only.
await app.register(clerkSyncFastify, { sync });

app.post('/api/echo', async (request) => ({ parsed: request.body })); // still parsed as JSON by Fastify
app.get('/users', () => sync.database.db.selectFrom('clerk_users').select(['id', 'first_name', 'primary_email_address']).where('deleted_at', 'is', null).execute());
app.addHook('onClose', () => sync.stop());

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(JSON.stringify({ msg: 'listening', url }));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => app.close().then(() => process.exit(0)));
}
