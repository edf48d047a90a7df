import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

const cleanups: Array<() => unknown> = [];
// Registered once at the root: an `after` called inside a hook would run when that hook ends.
after(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `fn` when the test file finishes. */
export function onFileEnd(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A fresh directory removed after the test file finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-test-'));
  onFileEnd(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempDbPath(): string {
  return join(tempDir(), 'clerk-sync.db');
}

export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** JSON columns come back as text on SQLite and parsed on PostgreSQL. */
export function asJson(v: unknown): any {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** Boolean columns come back as 0/1 on SQLite and true/false on PostgreSQL. */
export function asBool(v: unknown): boolean | null {
  return v === null || v === undefined ? null : Boolean(v);
}

/**
 * A fresh directory inside the repository (under the git-ignored .scratch/), removed after the
 * test file finishes: for generated code that imports the project's dependencies (drizzle-orm,
 * @prisma/client, clerk-sync/events), which resolve from here and not from the system's tmpdir.
 */
export function repoTempDir(): string {
  const base = new URL('../../.scratch/', import.meta.url).pathname;
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'test-'));
  onFileEnd(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
