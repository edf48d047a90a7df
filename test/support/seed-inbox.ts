import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../../src/store/dialect.js';
import { recountInbox } from '../../src/store/migrations/010-inbox-rollups.js';

/** Event types in about the mix a Clerk app sends: sessions first. */
const TYPES = ['session.created', 'session.ended', 'session.removed', 'session.created', 'session.ended', 'session.removed', 'user.updated', 'user.updated', 'user.created', 'organizationMembership.created'];

/**
 * An inbox of `n` processed events over the last `days` days, written directly (a test of
 * queries at scale needs the rows, not the path that writes them), with an attempt each, and
 * the counters recounted.
 * About 0.3% failed (retry due later), 0.1% dead, 0.1% pending; entities repeat (`user_<i % 5000>`).
 */
export async function seedInbox(db: Kysely<any>, dialect: DialectName, n: number, options: { days?: number; now?: number } = {}): Promise<{ entity: string; svixId: string }> {
  const now = options.now ?? Date.now();
  const span = (options.days ?? 30) * 86_400_000;
  const body = JSON.stringify({ type: 'user.updated', object: 'event', data: { id: 'user_x', padding: 'x'.repeat(600) } });
  const chunk = 500;
  for (let start = 0; start < n; start += chunk) {
    const events = [];
    const attempts = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) {
      const received = now - span + Math.floor((i / n) * span);
      const r = i % 1000;
      const status = r < 3 ? 'failed' : r < 4 ? 'dead' : r < 5 ? 'pending' : 'done';
      const type = TYPES[i % TYPES.length]!;
      const svix_id = `msg_seed_${String(i).padStart(8, '0')}`;
      const entity_id = type.startsWith('session.') ? `sess_${i}` : `user_${i % 5000}`;
      const finished = status === 'pending' ? null : received + 5;
      events.push({ svix_id, type, status, headers: '{}', body, received_at: received, next_attempt_at: status === 'failed' ? now + 3600_000 : received, attempts: status === 'pending' ? 0 : 1, processed_at: finished, entity_id, event_timestamp: received, instance_id: 'ins_seed' });
      if (finished !== null) attempts.push({ svix_id, attempt: 1, started_at: received + 2, duration_ms: 3, outcome: status, error: status === 'done' ? null : 'on purpose' });
    }
    await db.insertInto('clerk_webhook_events').values(events).execute();
    if (attempts.length) await db.insertInto('clerk_webhook_attempts').values(attempts).execute();
  }
  await recountInbox(db);
  // PostgreSQL's autovacuum gathers statistics by itself; SQLite has none unless told, and
  // clerk-sync never tells it: its plans must hold without them.
  if (dialect === 'postgres') await sql`analyze`.execute(db);
  return { entity: 'user_42', svixId: `msg_seed_${String(Math.floor(n / 2)).padStart(8, '0')}` };
}
