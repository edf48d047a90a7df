import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ProbeRequest {
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** No answer (status and body) within this is a timeout. */
  timeoutMs: number;
}

/** Why no answer came. `timeout` means connected, but the answer took too long. */
export type ProbeFailure = 'dns' | 'refused' | 'tls' | 'connect-timeout' | 'timeout' | 'reset' | 'other';

export interface ProbeAnswer {
  ok: true;
  status: number;
  headers: IncomingHttpHeaders;
  /** The first 8 KiB of the response body. */
  body: string;
  durationMs: number;
  /** Local time (ms) halfway through the exchange, to compare with the server's Date header. */
  midpointMs: number;
}

export interface ProbeError {
  ok: false;
  failure: ProbeFailure;
  /** The system error code, e.g. ENOTFOUND, CERT_HAS_EXPIRED. */
  code: string | null;
  message: string;
  durationMs: number;
}

export type ProbeResult = ProbeAnswer | ProbeError;

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;
const MAX_BODY = 8192;

function classify(code: string | null): ProbeFailure {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code && TLS_CODES.test(code)) return 'tls';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  return 'other';
}

/**
 * One POST, on node:http(s) rather than fetch so the failure can be told apart: DNS, refused,
 * TLS, a connection that never opens, or one that opens but never answers. Redirects are
 * returned, not followed.
 */
export function probe(req: ProbeRequest): Promise<ProbeResult> {
  const url = new URL(req.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const started = performance.now();
  const startedAt = Date.now();
  const elapsed = () => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const r = send(url, {
      method: 'POST',
      headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), 'user-agent': 'clerk-sync-doctor', ...req.headers },
    });
    const timer = setTimeout(() => {
      finish({
        ok: false,
        failure: connected ? 'timeout' : 'connect-timeout',
        code: null,
        message: connected ? `no answer within ${Math.round(req.timeoutMs)} ms` : `could not connect within ${Math.round(req.timeoutMs)} ms`,
        durationMs: elapsed(),
      });
      r.destroy();
    }, req.timeoutMs);
    r.on('socket', (socket) => {
      const mark = () => (connected = true);
      if (url.protocol === 'https:') socket.once('secureConnect', mark);
      else socket.once('connect', mark);
    });
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < MAX_BODY) chunks.push(d);
        size += d.length;
      });
      res.on('end', () => {
        const durationMs = elapsed();
        finish({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'), durationMs, midpointMs: startedAt + durationMs / 2 });
      });
      res.on('error', () => undefined);
    });
    r.on('error', (error: Error & { code?: string }) => {
      const code = error.code ?? null;
      finish({ ok: false, failure: classify(code), code, message: error.message, durationMs: elapsed() });
    });
    r.end(body);
  });
}
