// One cold start, as a serverless function's first request: a fresh `node` imports the compiled
// clerk-sync (dist/, from `npm run build`), opens the database, checks its schema, and answers
// one signed delivery. Plain JavaScript, so no TypeScript loader adds to the time measured; and
// it imports only what such a function would: the core that the adapters (clerk-sync/next,
// clerk-sync/lambda) load, not the root entry with the admin surface and the fixtures.
// Usage: node bench/cold-start-child.mjs <database> <secret> <event JSON>. Prints one JSON line,
// {"importMs", "readyMs", "answerMs", "status"}: ms since this process began (performance.timeOrigin)
// to its imports done, to start() done, and to the answer; then it stops clerk-sync and exits.
import { createClerkSync } from '../dist/clerk-sync.js';
import { signWebhook } from '../dist/verify/index.js';

const importMs = performance.now();
const [database, secret, body] = process.argv.slice(2);
const sync = await createClerkSync({ database, secret, serverless: true });
// Applies migrations only when some are missing: on a deployed database, one query.
await sync.start();
const readyMs = performance.now();
const signed = signWebhook(body, secret);
const response = await sync.handleRequest(
  new Request('http://localhost/api/webhooks', { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body }),
);
const answerMs = performance.now();
console.log(JSON.stringify({ importMs, readyMs, answerMs, status: response.status }));
await sync.stop();
