/**
 * How a PostgreSQL URL reaches the server. `session`: each client connection is a server session
 * of its own (a direct connection, or a pooler in session mode), so session state works.
 * `transaction`: a pooler (PgBouncer, Supavisor, Neon's and Supabase's pooled URLs) lends a server
 * connection for one transaction at a time, so nothing may outlive a transaction: no startup
 * parameters, no named or SQL-prepared statements kept across transactions, no session `SET`, no
 * session advisory locks, no `LISTEN`.
 */
export type PgPoolMode = 'session' | 'transaction';

/** A worker that hangs inside a transaction releases its claimed events after this (ms). */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export const POOL_MODE_ENV = 'CLERK_SYNC_PG_POOL_MODE';
/** Prisma's name for a URL that bypasses the pooler; used for migrations and LISTEN. */
export const DIRECT_URL_ENV = 'DIRECT_URL';

export interface PoolModeChoice {
  mode: PgPoolMode;
  /** Why, in words for a log line. */
  reason: string;
}

/**
 * The pool mode for `url`, without configuration where it can be known: an explicit setting
 * wins; then Prisma's `?pgbouncer=true`; then the providers' pooled hosts (Neon's `-pooler.`
 * hosts, Supabase's pooler on port 6543; its port 5432 is session mode). Anything else is taken
 * as a direct connection, and the errors a pooler gives switch it later (see postgres.ts).
 */
export function choosePoolMode(url: string, explicit?: string | null): PoolModeChoice {
  if (explicit) return { mode: parsePoolMode(explicit), reason: 'set explicitly' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { mode: 'session', reason: 'default' };
  }
  const flag = u.searchParams.get('pgbouncer');
  if (flag !== null && /^(true|1)$/i.test(flag)) return { mode: 'transaction', reason: 'the URL says ?pgbouncer=true' };
  const host = u.hostname.toLowerCase();
  if (host.includes('-pooler.')) return { mode: 'transaction', reason: `${host} is a Neon pooled host` };
  if (host.endsWith('.pooler.supabase.com') && u.port === '6543') return { mode: 'transaction', reason: `${host}:6543 is Supabase's transaction pooler` };
  return { mode: 'session', reason: 'default' };
}

export function parsePoolMode(value: string): PgPoolMode {
  const v = value.trim().toLowerCase();
  if (v === 'session' || v === 'transaction') return v;
  throw new Error(`pool mode must be "session" or "transaction", got "${value}" (${POOL_MODE_ENV} / --pg-pool-mode)`);
}
