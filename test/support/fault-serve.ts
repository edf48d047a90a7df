import { readFileSync } from 'node:fs';
import { eventFixture } from '../../src/events/fixtures.js';
import { signWebhook } from '../../src/verify/index.js';
import type { ServeProcess } from './cli.js';

export interface Sent {
  status: number;
  id: string;
  userId: string;
  headers: Headers;
  body: any;
}

/** POSTs a new signed user.created to `serve`; the answer and what was sent. */
export async function sendUser(serve: ServeProcess, secret: string): Promise<Sent> {
  const event = eventFixture('user.created');
  const body = JSON.stringify(event);
  const signed = signWebhook(body, secret);
  const res = await fetch(serve.url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, id: signed.id, userId: event.data.id, headers: res.headers, body: parsed };
}

export async function healthz(serve: ServeProcess): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${serve.port}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}

/** True while the process has not exited. */
export function isRunning(serve: ServeProcess): boolean {
  return serve.child.exitCode === null && serve.child.signalCode === null;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code (null if killed). */
export async function stopServe(serve: ServeProcess, graceMs = 10_000): Promise<number | null> {
  if (!isRunning(serve)) return serve.child.exitCode;
  serve.child.kill('SIGTERM');
  const timer = setTimeout(() => serve.child.kill('SIGKILL'), graceMs);
  try {
    return await serve.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Resident memory of a process in KiB (VmRSS from /proc). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

/** The log lines (JSON) of a process whose `msg` matches. */
export function logLines(serve: ServeProcess, msg: RegExp): any[] {
  return serve
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter((l) => l && msg.test(l.msg));
}
