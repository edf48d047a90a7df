/**
 * The least a receiver can do and still store each event before it answers: the bare server of
 * bare-verify.ts plus a write with group commit (the requests of one event-loop turn share it),
 * and nothing else: no parsing, no record, no counters, no answer body. What it makes beside the
 * bare server bounds the ratio of any receiver that answers only once the event is stored.
 *
 *   keyed   (default) SQLite, WAL, synchronous=NORMAL (clerk-sync's default durability): the
 *           svix-id and the raw body into a table keyed by the svix-id, the one index a receiver
 *           that drops Svix's retries needs;
 *   append  the same without the key: a table that only grows (retries are stored again);
 *   file    the raw bodies appended to a file, one write() per turn and no fsync, which keeps the
 *           same promise as synchronous=NORMAL (it survives the process, not the machine).
 *
 * Run: node --import tsx bench/peers/durable-floor.ts <db or file path> [keyed|append|file]
 * Prints {"port": n} when ready. SQLite's rows are in the table `floor_events`.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, writevSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { readVerified } from './verify-only.js';

const [path = ':memory:', mode = 'keyed'] = process.argv.slice(2);
if (!['keyed', 'append', 'file'].includes(mode)) throw new Error(`unknown mode ${mode}: choose keyed, append or file`);

interface Stored {
  id: string;
  body: Buffer;
  res: ServerResponse;
}

function openStore(): { write: (batch: Stored[]) => void; close: () => void } {
  if (mode === 'file') {
    const fd = openSync(path, 'a');
    return { write: (batch) => void writevSync(fd, batch.map((s) => s.body)), close: () => closeSync(fd) };
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table if not exists floor_events (svix_id text ${mode === 'append' ? 'not null' : 'primary key'}, body blob not null)`);
  const insert = db.prepare('insert or ignore into floor_events (svix_id, body) values (?, ?)');
  const write = db.transaction((batch: Stored[]) => {
    for (const s of batch) insert.run(s.id, s.body);
  });
  return { write, close: () => db.close() };
}

const store = openStore();
let turn: Stored[] = [];

/** Stores the turn's events in one write, then answers each. */
function commit(): void {
  const batch = turn;
  turn = [];
  store.write(batch);
  for (const s of batch) s.res.writeHead(200).end();
}

const server = createServer((req, res) =>
  readVerified(req, (body, ok) => {
    if (!ok) return void res.writeHead(401).end();
    if (turn.length === 0) setImmediate(commit);
    turn.push({ id: String(req.headers['svix-id']), body, res });
  }),
);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => (store.close(), process.exit(0))));
