/**
 * The ceiling of the ingest benchmark: bare node:http that reads the body, verifies the signature
 * with node:crypto and answers 200. It stores nothing, so nothing it answers is durable.
 *
 * Run: node --import tsx bench/peers/bare-verify.ts; prints {"port": n} when ready.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const key = Buffer.from(process.env.CLERK_WEBHOOK_SIGNING_SECRET!.replace(/^whsec_/, ''), 'base64');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const id = String(req.headers['svix-id']);
    const timestamp = String(req.headers['svix-timestamp']);
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
    const ok = String(req.headers['svix-signature'] ?? '')
      .split(' ')
      .some((s) => {
        const given = Buffer.from(s.slice(s.indexOf(',') + 1), 'base64');
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
    res.writeHead(ok ? 200 : 401).end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
