/**
 * An open-loop load generator: sends requests at a steady rate, each at its scheduled moment
 * whether or not earlier ones have been answered, and measures each answer's latency from that
 * moment (so a stall is charged to every request it delays: no coordinated omission).
 *
 * Why not autocannon's `overallRate` for this: it limits each connection per whole second
 * (lib/httpClient.js resets `reqsMadeThisSecond` on a 1 s interval), so "1,000 req/s" arrives as a
 * back-to-back burst at the start of each second; and its correction for coordinated omission
 * uses `Math.ceil(1 / rate)` as the expected interval (lib/run.js), 1 ms instead of 1000 / rate
 * ms, which adds a synthetic sample for every millisecond of every slow answer. autocannon is
 * still what measures maximum throughput.
 */
import http from 'node:http';

export interface SteadyRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface SteadyResult {
  answered2xx: number;
  non2xx: number;
  errors: number;
  /** Answers per second over the run. */
  reqPerSec: number;
  p50: number;
  p99: number;
  /** The slowest answer: what a single stall (a GC pause, a long batch) costs. */
  max: number;
}

/**
 * Sends `requests` (built beforehand, so the client's own work stays off the clock) to
 * `http://127.0.0.1:port` at `rate` per second over up to `connections` keep-alive connections.
 * The first `warmUp` requests go out on the same schedule but their latencies are not counted:
 * a server in production runs warm, while a fresh process interprets its code until the JIT
 * has compiled it, and at 1,000 req/s that first second alone can set the p99 of a short run.
 * They still count as answered, so the caller's stored-vs-answered check covers them.
 */
export async function steadyRate(port: number, requests: SteadyRequest[], rate: number, connections = 32, warmUp = 0): Promise<SteadyResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let answered2xx = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    let settled = 0;
    const settle = () => {
      if (++settled === requests.length) resolve();
    };
    const tick = () => {
      const due = Math.min(requests.length, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const scheduledAt = start + (sent * 1000) / rate;
        const timed = sent >= warmUp;
        const r = requests[sent]!;
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: r.path, agent, headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (timed) latencies.push(performance.now() - scheduledAt);
            if (res.statusCode! >= 200 && res.statusCode! < 300) answered2xx++;
            else non2xx++;
            settle();
          });
        });
        req.on('error', () => {
          errors++;
          settle();
        });
        req.end(r.body);
      }
      if (sent < requests.length) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedSec = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0);
  return { answered2xx, non2xx, errors, reqPerSec: Math.round(requests.length / elapsedSec), p50: at(0.5), p99: at(0.99), max: round(latencies.at(-1) ?? 0) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
