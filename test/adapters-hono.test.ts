import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { clerkSyncHono } from '../src/adapters/hono/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { testDialects } from './support/db.js';
import { adapterContract, post, signed, startHarness, type Harness, type Mounted } from './support/adapter-harness.js';

for (const dialect of testDialects()) describe(`clerk-sync/hono [${dialect}]`, () => {
  let h: Harness;
  let mounted: Mounted;
  before(async () => {
    h = await startHarness(dialect);
    const app = new Hono();
    app.all('/api/webhooks', clerkSyncHono(h.sync));
    // Middleware that read the body before the route: through Hono (cached, reusable) or around it (gone).
    app.use('/text/*', async (c, next) => {
      await c.req.text();
      await next();
    });
    app.all('/text/webhooks', clerkSyncHono(h.sync));
    app.use('/json/*', async (c, next) => {
      await c.req.json();
      await next();
    });
    app.all('/json/webhooks', clerkSyncHono(h.sync));
    app.use('/raw/*', async (c, next) => {
      await c.req.raw.json();
      await next();
    });
    app.all('/raw/webhooks', clerkSyncHono(h.sync));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as { port: number };
    mounted = { url: `http://127.0.0.1:${port}/api/webhooks`, close: () => new Promise((r) => server.close(() => r())) };
  });
  after(() => mounted.close());

  adapterContract(() => h, () => mounted);

  it('reuses a body a middleware read through c.req (Hono keeps the text); refuses one read around Hono with a fix instead of a 401', async () => {
    for (const path of ['/text/webhooks', '/json/webhooks']) {
      const req = signed(h, eventFixture('user.created'));
      const res = await post(mounted.url.replace('/api/webhooks', path), req.body, req.headers);
      assert.equal(res.status, 200, path);
    }
    const req = signed(h, eventFixture('user.created'));
    const raw = await post(mounted.url.replace('/api/webhooks', '/raw/webhooks'), req.body, req.headers);
    assert.equal(raw.status, 500);
    assert.equal(raw.body.error.code, 'body_already_parsed');
    assert.match(raw.body.error.message, /c\.req\.text\(\)/);
  });
});
