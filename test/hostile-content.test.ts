/**
 * Hostile content, correctly signed: every hostile string class in every string field and every
 * hostile number in every number field of every event type, plus hostile envelopes, keys and
 * nesting (support/hostile-corpus.ts), sent to `clerk-sync` on SQLite and on PostgreSQL (and
 * through PgBouncer). Nothing may answer 5xx, nothing may stall, every event ends done (or
 * skipped, outside the catalog), both databases end with the same rows, and every text SQLite
 * stored is valid UTF-8.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../src/store/database.js';
import { signWebhook } from '../src/verify/index.js';
import { testTargets, type TestTarget } from './support/db.js';
import { waitFor } from './support/env.js';
import { hostileCorpus, type Delivery } from './support/hostile-corpus.js';
import { startService, type TestService } from './support/service.js';

const corpus = hostileCorpus(1_764_633_600_000);
const ids = corpus.map((_, i) => `msg_hostile_${i}`);

async function deliver(svc: TestService, deliveries: Delivery[], svixIds: string[]): Promise<Map<number, string[]>> {
  const byStatus = new Map<number, string[]>();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < deliveries.length) {
      const i = next++;
      const signed = signWebhook(deliveries[i]!.body, svc.secret, { id: svixIds[i]! });
      const res = await fetch(svc.url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body: deliveries[i]!.body });
      await res.arrayBuffer();
      byStatus.set(res.status, [...(byStatus.get(res.status) ?? []), deliveries[i]!.label]);
    }
  }));
  return byStatus;
}

/** Every clerk_* table the sync writes, with its rows in a form both databases agree on. */
async function syncedTables(database: Database): Promise<Record<string, unknown[]>> {
  const names = database.dialect === 'sqlite'
    ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like 'clerk\\_%' escape '\\'`.execute(database.db)).rows.map((r) => r.name)
    : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name like 'clerk\\_%'`.execute(database.db)).rows.map((r) => r.name);
  const tables: Record<string, unknown[]> = {};
  for (const name of names.filter((n) => !n.startsWith('clerk_sync_') && !n.startsWith('clerk_webhook_')).sort()) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(database.db);
    tables[name] = rows.map(canonicalRow).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return tables;
}

/** JSON columns parsed (text on SQLite, jsonb on PostgreSQL), keys sorted, booleans as 0/1. */
function canonicalRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = canonical(typeof v === 'string' && /^[[{]/.test(v) ? parseOr(v) : v);
  return out;
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function canonical(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** Reads every text column of every table back as bytes and decodes them strictly. */
async function invalidUtf8(database: Database): Promise<string[]> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const bad: string[] = [];
  const tables = (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(database.db)).rows.map((r) => r.name);
  for (const table of tables) {
    const columns = (await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${table})`.execute(database.db)).rows;
    for (const { name } of columns) {
      const { rows } = await sql<{ b: Uint8Array | null }>`select cast(${sql.ref(name)} as blob) as b from ${sql.table(table)} where typeof(${sql.ref(name)}) = 'text'`.execute(database.db);
      for (const r of rows) {
        try {
          if (r.b) strict.decode(r.b);
        } catch {
          bad.push(`${table}.${name}`);
          break;
        }
      }
    }
  }
  return [...new Set(bad)];
}

describe(`hostile content: ${corpus.length} signed events on every database`, { timeout: 600_000 }, () => {
  const services = new Map<TestTarget, TestService>();
  before(async () => {
    for (const target of testTargets()) services.set(target, await startService({ dialect: target, worker: { pollIntervalMs: 50, concurrency: target === 'sqlite' ? 1 : 2 } }));
  });
  after(async () => {
    for (const svc of services.values()) await svc.close();
  });

  for (const target of testTargets()) {
    it(`[${target}] no 5xx, no stall: every event ends done, or skipped outside the catalog`, async () => {
      const svc = services.get(target)!;
      assert.ok(corpus.length >= 1_000, `${corpus.length} events`);
      const answers = await deliver(svc, corpus, ids);
      assert.deepEqual([...answers.keys()], [200], `answers other than 200: ${JSON.stringify([...answers].filter(([s]) => s !== 200).map(([s, labels]) => [s, labels.slice(0, 5)]))}`);
      const db = svc.sync.database.db;
      const statuses = await waitFor(async () => {
        const rows = await db.selectFrom('clerk_webhook_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
        const left = rows.filter((r) => r.status === 'pending' || r.status === 'failed').reduce((a, r) => a + Number(r.n), 0);
        return left === 0 && rows;
      }, { timeoutMs: 180_000, intervalMs: 250, what: 'every event processed' });
      const dead = await db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'last_error']).where('status', '=', 'dead').limit(10).execute();
      assert.deepEqual(dead.map((d) => `${corpus[Number(d.svix_id.slice('msg_hostile_'.length))]!.label}: ${d.last_error}`), [], 'no event dead');
      const counts = Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)]));
      assert.equal((counts.done ?? 0) + (counts.skipped ?? 0), corpus.length, JSON.stringify(counts));
      assert.equal(counts.skipped, corpus.filter((d) => /outside the catalog/.test(d.label)).length);
    });
  }

  it('SQLite and PostgreSQL end with the same rows, compared row by row', async (t) => {
    const sqlite = services.get('sqlite');
    const others = [...services].filter(([target]) => target !== 'sqlite');
    assert.ok(sqlite && others.length > 0, 'needs SQLite and PostgreSQL (CLERK_SYNC_TEST_DIALECTS)');
    const expected = await syncedTables(sqlite.sync.database);
    const rows = Object.values(expected).reduce((a, r) => a + r.length, 0);
    t.diagnostic(`${Object.keys(expected).length} tables, ${rows} rows`);
    assert.ok(rows > corpus.length / 2);
    for (const [target, svc] of others) {
      const actual = await syncedTables(svc.sync.database);
      assert.deepEqual(Object.keys(actual), Object.keys(expected), `[${target}] tables`);
      for (const table of Object.keys(expected)) assert.deepEqual(actual[table], expected[table], `[${target}] ${table}`);
      const inbox = (d: Database) => d.db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'status', 'entity_id', 'instance_id', 'event_timestamp']).orderBy('svix_id').execute();
      assert.deepEqual(await inbox(svc.sync.database), await inbox(sqlite.sync.database), `[${target}] inbox columns`);
    }
  });

  it('every text SQLite stored is valid UTF-8, read back as bytes with a strict decoder', async () => {
    const sqlite = services.get('sqlite');
    assert.ok(sqlite, 'needs SQLite');
    assert.deepEqual(await invalidUtf8(sqlite.sync.database), []);
    const user = await sqlite.sync.database.db.selectFrom('clerk_users').select('first_name').where('first_name', 'like', '%\uFFFD%').executeTakeFirst();
    assert.ok(user, 'NUL and lone surrogates were stored as U+FFFD');
  });

  it('the stored raw bodies are byte-exact', async () => {
    for (const [target, svc] of services) {
      const rows = await svc.sync.database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'body']).where('svix_id', 'in', ids.slice(0, 200)).execute();
      assert.equal(rows.length, 200);
      for (const r of rows) assert.equal(r.body, corpus[Number(r.svix_id.slice('msg_hostile_'.length))]!.body, `[${target}] ${r.svix_id}`);
    }
  });
});
