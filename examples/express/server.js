import express from 'express';
import { createClerkSync, createLogger } from 'clerk-sync';
import { mountClerkSync } from 'clerk-sync/express';

// Reads CLERK_WEBHOOK_SIGNING_SECRET; DATABASE_URL is a postgres:// URL or a SQLite path.
const sync = await createClerkSync({
  database: process.env.DATABASE_URL ?? './clerk-sync.db',
  logger: createLogger('info'), // JSON lines on stderr: one per processed event
  handlers: {
    'user.created': async (event, ctx) => ctx.logger.info('welcome', { user_id: event.data.id }),
  },
});
await sync.start(); // migrations, then the worker (it runs handlers after the 200, never in the request)

const app = express();
app.use(express.json()); // deliberately first: clerk-sync still verifies the raw bytes
mountClerkSync(app, sync); // POST /api/webhooks, answered ahead of every middleware

app.post('/api/echo', (req, res) => res.json({ parsed: req.body })); // the app's own JSON routes are untouched
app.get('/users', async (_req, res) => {
  const users = await sync.database.db.selectFrom('clerk_users').select(['id', 'first_name', 'primary_email_address']).where('deleted_at', 'is', null).execute();
  res.json(users);
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(JSON.stringify({ msg: 'listening', url: `http://${address}:${port}` }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => sync.stop().then(() => process.exit(0))));
}
