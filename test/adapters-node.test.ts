import { createServer } from 'node:http';
import { after, before, describe } from 'node:test';
import { nodeWebhookHandler } from '../src/adapters/node/index.js';
import { testDialects } from './support/db.js';
import { adapterContract, listenOnLoopback, startHarness, type Harness, type Mounted } from './support/adapter-harness.js';

for (const dialect of testDialects()) describe(`clerk-sync/node [${dialect}]`, () => {
  let h: Harness;
  let mounted: Mounted;
  before(async () => {
    h = await startHarness(dialect);
    const server = createServer(nodeWebhookHandler(h.sync));
    const base = await listenOnLoopback(server);
    mounted = {
      url: `${base}/api/webhooks`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  });
  after(() => mounted.close());

  adapterContract(() => h, () => mounted);
});
