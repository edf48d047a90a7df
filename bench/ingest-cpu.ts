/**
 * The server's CPU time per request at maximum load: what a change to the receiver costs or
 * saves, measured where this VM's noise matters least. Throughput here moves by tens of percent
 * from one minute to the next, and the load generator shares the two cores; the CPU a server
 * spends per answered request moves less. Each target is loaded by autocannon (32 connections)
 * in its own process; its utime + stime (all threads: the checkpoint thread too) over the load,
 * divided by the requests it answered 2xx. Rounds alternate the targets.
 *
 *   node --import tsx bench/ingest-cpu.ts [--rounds 3] [--seconds 6] bare before serve no-worker before-no-worker
 *
 * `floor`, `floor-append` and `floor-file`: the least a receiver can do and still store before it
 * answers (bench/peers/durable-floor.ts: a keyed SQLite row, an unkeyed one, a file append).
 *
 * `before` and `before-no-worker` run the CLI built at baseline.ts's commit, or at `--before REV`
 * (e.g. `--before HEAD` to weigh an uncommitted change against the last commit).
 *
 * `--steady 1000`: instead of the maximum, the open-loop client of steady-rate.ts at that rate
 * (its 2 s of warm-up included), and for a target with a worker until it has applied every
 * event: the CPU the whole process spends per event, receiving and applying, at a steady load.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INGEST_BASELINE, baselineCliArgs } from './baseline.js';
import { cliArgs } from './cli.js';
import { listeningPort, PRESIGNED_PER_SECOND, presignedRequests, requestFactory, waitForDrain } from './ingest.js';
import { steadyRate } from './steady-rate.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const serve = (cli: string[], db: string, ...more: string[]) => [...cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, ...more];
const floor = (db: string, mode: string) => ['--import', 'tsx', join(ROOT, 'bench/peers/durable-floor.ts'), db, mode];
/** The targets that apply what they store, and so are measured until they have (--steady). */
const APPLYING = new Set(['serve', 'before']);
let beforeRev = INGEST_BASELINE;
const TARGETS: Record<string, (db: string) => string[]> = {
  bare: () => ['--import', 'tsx', join(ROOT, 'bench/peers/bare-verify.ts')],
  floor: (db) => floor(db, 'keyed'),
  'floor-append': (db) => floor(db, 'append'),
  'floor-file': (db) => floor(db, 'file'),
  serve: (db) => serve(cliArgs(), db),
  'no-worker': (db) => serve(cliArgs(), db, '--no-worker'),
  before: (db) => serve(baselineCliArgs(beforeRev), db),
  'before-no-worker': (db) => serve(baselineCliArgs(beforeRev), db, '--no-worker'),
};

/** CPU time of a process, all its threads, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(name: string, seconds: number, steady: number, presign: number | undefined): Promise<{ reqPerSec: number; cpuUsPerRequest: number; clientUsPerRequest: number; p99: number; signedDuringLoad: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-cpu-'));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const child = spawn(process.execPath, TARGETS[name]!(join(dir, 'bench.db')), { cwd: ROOT, env: { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await listeningPort(child);
    if (steady > 0) {
      const requests = Array.from({ length: steady * (seconds + 2) }, requestFactory(secret));
      const before = cpuMs(child.pid!);
      const result = await steadyRate(port, requests, steady, 32, steady * 2);
      if (APPLYING.has(name) && (await waitForDrain(join(dir, 'bench.db'))).left > 0) throw new Error(`${name}: the worker did not apply every event within five minutes`);
      const spent = cpuMs(child.pid!) - before;
      return { reqPerSec: Math.round(result.reqPerSec), cpuUsPerRequest: Math.round((spent * 1000) / Math.max(1, result.answered2xx)), clientUsPerRequest: NaN, p99: result.p99, signedDuringLoad: 0 };
    }
    const requests = presignedRequests(secret, presign ?? PRESIGNED_PER_SECOND * seconds);
    const before = cpuMs(child.pid!);
    const clientBefore = process.cpuUsage();
    const result = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, duration: seconds, requests: [{ setupRequest: (req: any) => ({ ...req, method: 'POST', ...requests.take() }) }] }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    const spent = cpuMs(child.pid!) - before;
    // The load generator's own CPU (this process: autocannon, and the signing of any request
    // not signed beforehand), which shares the two cores with the server.
    const client = process.cpuUsage(clientBefore);
    const answered = Math.max(1, result['2xx']);
    return {
      reqPerSec: Math.round(result.requests.average),
      cpuUsPerRequest: Math.round((spent * 1000) / answered),
      clientUsPerRequest: Math.round((client.user + client.system) / answered),
      p99: result.latency.p99,
      signedDuringLoad: requests.signedDuringLoad(),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = <F extends number | undefined>(name: string, fallback: F): number | F => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback;
  };
  const rounds = option('--rounds', 3);
  const seconds = option('--seconds', 6);
  const steady = option('--steady', 0);
  const presign = option('--presign', undefined);
  const revAt = args.indexOf('--before');
  // A name like HEAD moves: build the commit it names now.
  if (revAt >= 0) beforeRev = execFileSync('git', ['rev-parse', '--short', args.splice(revAt, 2)[1]!], { encoding: 'utf8' }).trim();
  const unknown = args.filter((a) => !(a in TARGETS));
  if (unknown.length > 0) throw new Error(`unknown target(s) ${unknown.join(', ')}; choose from ${Object.keys(TARGETS).join(', ')}`);
  console.log('| round | target | req/s | server CPU µs per request | load generator CPU µs per request | p99 ms | signed during the load |\n|---:|---|---:|---:|---:|---:|---:|');
  for (let round = 1; round <= rounds; round++) {
    for (const name of args) {
      const r = await measure(name, seconds, steady, presign);
      console.log(`| ${round} | ${name} | ${r.reqPerSec} | ${r.cpuUsPerRequest} | ${Number.isNaN(r.clientUsPerRequest) ? 'n/a' : r.clientUsPerRequest} | ${r.p99} | ${steady > 0 ? 'none' : r.signedDuringLoad} |`);
    }
  }
}
