import type { AddressInfo } from 'node:net';
import { createClerkSync, type ClerkSync, type ClerkSyncOptions } from '../../src/clerk-sync.js';
import { createHttpServer, type ServerOptions } from '../../src/server.js';
import { signWebhook } from '../../src/verify/index.js';
import { freshDatabaseUrl, type TestTarget } from './db.js';
import { newSecret } from './env.js';

export interface TestService {
  sync: ClerkSync;
  secret: string;
  url: string;
  /** http://127.0.0.1:port */
  origin: string;
  /** POSTs a body signed with the service's secret (or `secret`). */
  send(event: unknown, options?: { id?: string; timestamp?: number; headers?: Record<string, string>; secret?: string }): Promise<{ status: number; body: any; headers: Headers; id: string }>;
  close(): Promise<void>;
}

/** A real clerk-sync (receiver + worker + HTTP server on loopback) on a fresh database. */
export async function startService(options: ClerkSyncOptions & { dialect?: TestTarget; http?: ServerOptions } = {}): Promise<TestService> {
  const { dialect = 'sqlite', http, ...rest } = options;
  const secret = typeof options.secret === 'string' ? options.secret : newSecret();
  const sync = await createClerkSync({ database: await freshDatabaseUrl(dialect), ...rest, secret });
  await sync.start();
  const server = createHttpServer(sync, http);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/api/webhooks`;
  return {
    sync,
    secret,
    url,
    origin,
    async send(event, opts = {}) {
      const body = typeof event === 'string' ? event : JSON.stringify(event);
      const signed = signWebhook(body, opts.secret ?? secret, { id: opts.id, timestamp: opts.timestamp });
      const res = await fetch(url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json', ...opts.headers }, body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, id: signed.id };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await sync.stop();
    },
  };
}
