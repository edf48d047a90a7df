import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { clerkSyncFastify } from '../src/adapters/fastify/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { testDialects } from './support/db.js';
import { adapterContract, post, startHarness, type Harness, type Mounted } from './support/adapter-harness.js';

for (const dialect of testDialects()) describe(`clerk-sync/fastify [${dialect}]`, () => {
  let h: Harness;
  let app: FastifyInstance;
  let mounted: Mounted;
  before(async () => {
    h = await startHarness(dialect, { maxBodyBytes: 64 * 1024 });
    app = Fastify();
    app.post('/api/echo', async (request) => ({ parsed: request.body }));
    await app.register(clerkSyncFastify, { sync: h.sync });
    await app.register(async (child) => void child.post('/echo', async (request) => ({ parsed: request.body })), { prefix: '/nested' });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    mounted = { url: `${base}/api/webhooks`, close: () => app.close() };
  });
  after(() => mounted.close());

  adapterContract(() => h, () => mounted);

  it('the rest of the app keeps Fastify JSON parsing (the raw parser is encapsulated)', async () => {
    for (const path of ['/api/echo', '/nested/echo']) {
      const res = await post(mounted.url.replace('/api/webhooks', path), '{"a":[1,2]}', {});
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { parsed: { a: [1, 2] } });
    }
  });

  it('a body over maxBodyBytes gets the same 413 as clerk-sync serve', async () => {
    const event = eventFixture('user.created');
    (event.data as { private_metadata: unknown }).private_metadata = { pad: 'x'.repeat(70 * 1024) };
    const body = JSON.stringify(event);
    const headers = signWebhook(body, h.secret).headers;
    const mine = await post(mounted.url, body, headers);
    assert.equal(mine.status, 413);
    assert.deepEqual(mine, await post(h.serveUrl, body, headers));
  });

  it('accepts a delivery without a content-type header (raw bytes, whatever the type)', async () => {
    const body = JSON.stringify(eventFixture('user.created'));
    const res = await fetch(mounted.url, { method: 'POST', headers: signWebhook(body, h.secret).headers, body: Buffer.from(body) });
    assert.equal(res.status, 200);
  });
});
