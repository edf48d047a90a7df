/**
 * The ceiling of the ingest benchmark: bare node:http that reads the body, verifies the signature
 * with node:crypto and answers 200. It stores nothing, so nothing it answers is durable.
 *
 * Run: node --import tsx bench/peers/bare-verify.ts; prints {"port": n} when ready.
 */
import { createServer } from 'node:http';
import { readVerified } from './verify-only.js';

const server = createServer((req, res) => readVerified(req, (_body, ok) => void res.writeHead(ok ? 200 : 401).end()));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
