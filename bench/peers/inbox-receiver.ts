/**
 * clerk-sync's receiver alone (no worker), assembled from its parts so the ingest benchmark can
 * compare durability settings side by side: SQLite synchronous=NORMAL or FULL, with group commit
 * (the default: requests that arrive together share one commit) or with one commit per request.
 *
 * Run: node --import tsx bench/peers/inbox-receiver.ts <sqlite path> <normal|full> <group|single>
 * Prints {"port": n} when ready.
 */
import { createServer } from 'node:http';
import { nodeWebhookHandler } from '../../src/adapters/node/index.js';
import { WebhookReceiver } from '../../src/receiver/receiver.js';
import { InboxWriter } from '../../src/inbox/writer.js';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createVerifier } from '../../src/verify/index.js';

const [path = ':memory:', durability = 'normal', commit = 'group'] = process.argv.slice(2);
const database = await openDatabase(path, { durability: durability === 'full' ? 'full' : 'normal' });
await migrateToLatest(database);
const inbox = new InboxWriter(database, () => {}, { maxBatch: commit === 'single' ? 1 : undefined });
const receiver = new WebhookReceiver({ verifier: createVerifier(process.env.CLERK_WEBHOOK_SIGNING_SECRET!), inbox });
const server = createServer(nodeWebhookHandler({ receiver }));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => void database.close().then(() => process.exit(0))));
