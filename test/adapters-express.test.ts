import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express5 from 'express';
import express4 from 'express4';
import { clerkSyncMiddleware, mountClerkSync } from '../src/adapters/express/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { testDialects } from './support/db.js';
import { adapterContract, listenOnLoopback, post, signed, startHarness, type Harness, type Mounted } from './support/adapter-harness.js';

async function serve(app: (req: any, res: any) => void): Promise<Mounted & { server: Server }> {
  const server = createServer(app);
  const base = await listenOnLoopback(server);
  return {
    server,
    url: `${base}/api/webhooks`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const versions = [
  { name: 'Express 5', express: express5 as unknown as typeof express4 },
  { name: 'Express 4', express: express4 },
];

for (const dialect of testDialects()) {
  for (const { name, express } of versions) {
    describe(`clerk-sync/express on ${name}, express.json() registered first [${dialect}]`, () => {
      let h: Harness;
      let mounted: Mounted;
      before(async () => {
        h = await startHarness(dialect);
        const app = express();
        app.use(express.json());
        app.post('/api/echo', (req, res) => void res.json({ parsed: req.body }));
        mountClerkSync(app, h.sync);
        mounted = await serve(app);
      });
      after(() => mounted.close());

      adapterContract(() => h, () => mounted);

      it('the rest of the app still gets parsed JSON', async () => {
        const res = await post(mounted.url.replace('/api/webhooks', '/api/echo'), '{"a":[1,2]}', {});
        assert.deepEqual(res.body, { parsed: { a: [1, 2] } });
      });
    });

    describe(`clerkSyncMiddleware on ${name} [${dialect}]`, () => {
      let h: Harness;
      let mounted: Mounted;
      before(async () => {
        h = await startHarness(dialect);
        const app = express();
        app.all('/api/webhooks', clerkSyncMiddleware(h.sync));
        app.post('/kept/webhooks', express.json({ verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) }), clerkSyncMiddleware(h.sync));
        app.use(express.json());
        app.post('/late/webhooks', clerkSyncMiddleware(h.sync));
        mounted = await serve(app);
      });
      after(() => mounted.close());

      adapterContract(() => h, () => mounted);

      it('after express.json() consumed the body: 500 body_already_parsed naming the fix, never a 401', async () => {
        const req = signed(h, eventFixture('user.created'));
        const res = await post(mounted.url.replace('/api/webhooks', '/late/webhooks'), req.body, req.headers);
        assert.equal(res.status, 500);
        assert.equal(res.body.error.code, 'body_already_parsed');
        assert.match(res.body.error.message, /mountClerkSync\(app, sync\)/);
        assert.match(res.body.error.message, /Svix will retry/);
      });

      it('uses req.rawBody when a parser kept the raw bytes', async () => {
        const req = signed(h, eventFixture('user.created'));
        const res = await post(mounted.url.replace('/api/webhooks', '/kept/webhooks'), req.body, req.headers);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { received: true });
      });
    });
  }
}
