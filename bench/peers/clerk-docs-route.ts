/**
 * The webhook route Clerk's docs teach, built faithfully, as the baseline of the ingest benchmark:
 * Express with `express.raw()` so the body stays raw, @clerk/backend's `verifyWebhook` on a Fetch
 * Request made from it (what @clerk/express does), then a synchronous upsert per request into
 * SQLite before answering. SQLite gets the same settings as clerk-sync's default (WAL,
 * synchronous=NORMAL), so the comparison is about the design, not the settings.
 *
 * Run: node --import tsx bench/peers/clerk-docs-route.ts <sqlite path>; prints {"port": n} when ready.
 */
import { verifyWebhook } from '@clerk/backend/webhooks';
import BetterSqlite3 from 'better-sqlite3';
import express from 'express';

const db = new BetterSqlite3(process.argv[2] ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table if not exists users (id text primary key, first_name text, last_name text, email text, updated_at integer, payload text)');
const upsert = db.prepare(`insert into users (id, first_name, last_name, email, updated_at, payload) values (?, ?, ?, ?, ?, ?)
  on conflict (id) do update set first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
  updated_at = excluded.updated_at, payload = excluded.payload`);

const app = express();
app.post('/api/webhooks', express.raw({ type: 'application/json' }), async (req, res) => {
  try {
    const request = new Request(`http://localhost${req.originalUrl}`, {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: new Uint8Array(req.body as Buffer),
    });
    const evt = await verifyWebhook(request, { signingSecret: process.env.CLERK_WEBHOOK_SIGNING_SECRET });
    if (evt.type === 'user.created' || evt.type === 'user.updated') {
      const d = evt.data;
      upsert.run(d.id, d.first_name, d.last_name, d.email_addresses[0]?.email_address ?? null, d.updated_at, JSON.stringify(d));
    }
    res.status(200).send('Webhook received');
  } catch {
    res.status(400).send('Error verifying webhook');
  }
});
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => { db.close(); process.exit(0); }));
