import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { appRouteHandler, clerkSyncNext, pagesApiHandler } from '../src/adapters/next/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, onFileEnd, waitFor } from './support/env.js';
import { adapterContract, listenOnLoopback, post, signed, startHarness, type Harness, type Mounted } from './support/adapter-harness.js';

/** Serves a Fetch handler on loopback, the way Next.js hands a Request to an App Router route. */
async function serveFetch(handler: (request: Request) => Promise<Response>): Promise<Mounted> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/api/webhooks`, close: () => new Promise((r) => server.close(() => r())) };
}

async function serveNode(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Mounted> {
  const server = createServer(handler);
  const base = await listenOnLoopback(server);
  return {
    url: `${base}/api/webhooks`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** What Next.js's Pages Router does unless `bodyParser: false`: read the stream and parse it. */
function nextBodyParser(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      (req as IncomingMessage & { body?: unknown }).body = JSON.parse(text);
      handler(req, res);
    });
  };
}

for (const dialect of testDialects()) {
  describe(`clerk-sync/next App Router POST [${dialect}]`, () => {
    let h: Harness;
    let mounted: Mounted;
    before(async () => {
      h = await startHarness(dialect);
      mounted = await serveFetch(appRouteHandler(h.sync));
    });
    after(() => mounted.close());
    adapterContract(() => h, () => mounted);
  });

  describe(`clerk-sync/next Pages Router [${dialect}]`, () => {
    let h: Harness;
    let mounted: Mounted;
    let parsed: Mounted;
    before(async () => {
      h = await startHarness(dialect);
      mounted = await serveNode(pagesApiHandler(h.sync));
      parsed = await serveNode(nextBodyParser(pagesApiHandler(h.sync)));
    });
    after(async () => {
      await mounted.close();
      await parsed.close();
    });
    adapterContract(() => h, () => mounted);

    it("with Next's body parser still on: 500 body_already_parsed naming the config line, never a 401", async () => {
      const req = signed(h, eventFixture('user.created'));
      const res = await post(parsed.url, req.body, req.headers);
      assert.equal(res.status, 500);
      assert.equal(res.body.error.code, 'body_already_parsed');
      assert.match(res.body.error.message, /export const config = \{ api: \{ bodyParser: false \} \};/);
    });
  });

  describe(`clerkSyncNext lifecycle [${dialect}]`, () => {
    it('creates one instance per process on first use, runs migrations and the worker, and shares it across modules', async () => {
      const secret = newSecret();
      const database = await freshDatabaseUrl(dialect);
      const key = `test-${dialect}-${Math.random()}`;
      const handled: string[] = [];
      const options = { key, secret, database, worker: { pollIntervalMs: 50 }, logger: undefined, handlers: { 'user.created': (e: { data: { id: string } }) => void handled.push(e.data.id) } };
      const routeModule = clerkSyncNext(options);
      const pageModule = clerkSyncNext(options); // the same lib file, evaluated again by another bundle
      const mounted = await serveFetch(routeModule.POST);
      onFileEnd(async () => {
        await mounted.close();
        await (await routeModule.ready()).stop();
      });
      const [a, b] = await Promise.all([routeModule.ready(), pageModule.ready()]);
      assert.equal(a, b, 'one instance');
      const event = eventFixture('user.created');
      const body = JSON.stringify(event);
      const res = await post(mounted.url, body, signWebhook(body, secret).headers);
      assert.equal(res.status, 200);
      await waitFor(() => handled.includes(event.data.id), { what: 'the handler to run in the worker' });
      // The handler runs inside the transaction: the row is there once it commits.
      await waitFor(async () => (await a.database.db.selectFrom('clerk_users').select('id').where('id', '=', event.data.id).execute()).length === 1, { what: 'the synced row' });
    });
  });
}

describe('clerkSyncNext when it cannot start', () => {
  it('answers 500 not_ready with the fix (Svix retries), and starts on a later request once fixed', async () => {
    const previous = process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    const lines: string[] = [];
    const next = clerkSyncNext({ key: `broken-${Math.random()}`, database: ':memory:', logger: { debug() {}, info() {}, warn() {}, error: (msg, f) => void lines.push(`${msg} ${JSON.stringify(f)}`) } });
    const mounted = await serveFetch(next.POST);
    try {
      const secret = newSecret();
      const body = JSON.stringify(eventFixture('user.created'));
      const first = await post(mounted.url, body, signWebhook(body, secret).headers);
      assert.equal(first.status, 500);
      assert.equal(first.body.error.code, 'not_ready');
      assert.match(first.body.error.message, /set CLERK_WEBHOOK_SIGNING_SECRET/);
      assert.match(lines.join('\n'), /clerk-sync could not start/);
      process.env.CLERK_WEBHOOK_SIGNING_SECRET = secret;
      const second = await post(mounted.url, body, signWebhook(body, secret).headers);
      assert.equal(second.status, 200);
      await (await next.ready()).stop();
    } finally {
      await mounted.close();
      if (previous === undefined) delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
      else process.env.CLERK_WEBHOOK_SIGNING_SECRET = previous;
    }
  });
});
