/**
 * Ingest over HTTP on loopback: `clerk-sync serve` on SQLite, loaded by autocannon with unique,
 * correctly signed Clerk events. Reports max throughput and latency at a fixed 1,000 req/s, and
 * checks that every event answered 2xx is in the inbox.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';

export interface IngestRow {
  target: string;
  mode: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  answered2xx: number;
  non2xx: number;
  stored: number;
  lost: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A template event; each request swaps in a fresh svix-id and data.id and re-signs. */
function requestFactory(secret: string) {
  const template = JSON.stringify(eventFixture('user.created'));
  const userId = JSON.parse(template).data.id as string;
  let n = 0;
  return (req: any) => {
    n++;
    const body = template.replace(userId, `user_bench${process.pid}x${n}`);
    const signed = signWebhook(body, secret, { id: `msg_bench_${process.pid}_${n}_${randomBytes(4).toString('hex')}` });
    return { ...req, method: 'POST', path: '/api/webhooks', headers: { ...signed.headers, 'content-type': 'application/json' }, body };
  };
}

async function startServe(db: string, secret: string, extra: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, ...extra], {
    cwd: ROOT,
    env: { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stderr!.on('data', (d) => (logs += d));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /"port":(\d+)/.exec(logs);
      if (m) {
        clearInterval(t);
        resolve(Number(m[1]));
      }
    }, 20);
    child.on('exit', () => reject(new Error(`serve exited: ${logs}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((r) => {
        child.on('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
}

export async function benchIngest(options: { durationSec?: number; extraArgs?: string[]; label?: string } = {}): Promise<IngestRow[]> {
  const duration = options.durationSec ?? 8;
  const rows: IngestRow[] = [];
  for (const mode of ['max', '1000 req/s'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
    const db = join(dir, 'bench.db');
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const server = await startServe(db, secret, options.extraArgs ?? []);
    try {
      const result = await run({
        url: `http://127.0.0.1:${server.port}`,
        connections: mode === 'max' ? 32 : 10,
        duration,
        ...(mode === 'max' ? {} : { overallRate: 1000 }),
        requests: [{ setupRequest: requestFactory(secret) }],
      });
      await server.stop();
      const raw = new BetterSqlite3(db, { readonly: true });
      const stored = (raw.prepare('select count(*) n from clerk_webhook_events').get() as { n: number }).n;
      raw.close();
      rows.push({
        target: options.label ?? 'clerk-sync serve (SQLite)',
        mode,
        reqPerSec: Math.round(result.requests.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        answered2xx: result['2xx'],
        non2xx: result.non2xx,
        stored,
        lost: Math.max(0, result['2xx'] - stored),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function ingestTable(rows: IngestRow[]): string {
  const lines = ['| target | load | req/s | p50 ms | p99 ms | answered 2xx | non-2xx | stored | lost |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.target} | ${r.mode} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.answered2xx} | ${r.non2xx} | ${r.stored} | ${r.lost} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = [...(await benchIngest()), ...(await benchIngest({ extraArgs: ['--no-worker'], label: 'clerk-sync serve --no-worker (SQLite)' }))];
  console.log(ingestTable(rows));
}
