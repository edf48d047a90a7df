import { sql, type Kysely } from 'kysely';

/**
 * What the overview and /metrics read instead of scanning the inbox, kept by every write that
 * changes it (src/inbox/rollups.ts), in the same transaction:
 * - `clerk_webhook_event_counts`: how many events are in each status;
 * - `clerk_webhook_event_activity`: per minute, events received, queued for a worker (received
 *   in the catalog, or replayed), finished, failed and dead attempts, and the processing lag of
 *   first attempts.
 * A row per `shard` as well: on PostgreSQL each connection adds to rows of its own (its backend
 * id, modulo 16), so concurrent receivers and workers do not queue on one hot row; readers sum them.
 * Both start from the inbox as it is (one pass over it, here, once). The overview's old
 * `processed` index (processed_at, status, received_at) served only what these replace: it goes,
 * and with it a write to every event stored and finished.
 */
export function inboxRollupsMigration() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('clerk_webhook_event_counts')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('shard', 'integer', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('clerk_webhook_event_counts_pk', ['status', 'shard'])
        .execute();
      const counter = (name: string) => (t: any) => t.addColumn(name, 'bigint', (c: any) => c.notNull().defaultTo(0));
      let activity = db.schema
        .createTable('clerk_webhook_event_activity')
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('shard', 'integer', (c) => c.notNull());
      for (const name of ['received', 'queued', 'processed', 'failed', 'dead', 'lag_sum_ms', 'lag_count', 'lag_max_ms']) activity = counter(name)(activity);
      await activity.addPrimaryKeyConstraint('clerk_webhook_event_activity_pk', ['minute', 'shard']).execute();

      await recountInbox(db);
      await db.schema.dropIndex('clerk_webhook_events_processed').ifExists().execute();
    },
  };
}

/**
 * Sets the counters from the inbox and the attempt log as they are: one pass over both. The
 * migration starts them so; the counters then follow every write clerk-sync makes. Rows written
 * into the inbox by other means (tests seeding it in bulk) need it run again.
 */
export async function recountInbox(db: Kysely<any>): Promise<void> {
  await recountStatuses(db);
  await recountActivity(db);
}

/** The counts per status, from a `group by status` over the inbox. */
export async function recountStatuses(db: Kysely<any>): Promise<void> {
  await sql`delete from clerk_webhook_event_counts`.execute(db);
  await sql`insert into clerk_webhook_event_counts (status, shard, n) select status, 0, count(*) from clerk_webhook_events group by status`.execute(db);
}

/** The activity per minute, from the events and attempts the inbox still holds (a purge took the rest's). */
export async function recountActivity(db: Kysely<any>): Promise<void> {
  await sql`delete from clerk_webhook_event_activity`.execute(db);
  // The history, from the inbox and the attempt log, by minute.
  const minute = (column: string) => sql.raw(`(${column} / 60000) * 60000`);
  await sql`insert into clerk_webhook_event_activity (minute, shard, received, queued)
    select ${minute('received_at')}, 0, count(*), sum(case when status = 'skipped' then 0 else 1 end) from clerk_webhook_events group by 1`.execute(db);
  const add = async (select: ReturnType<typeof sql>, columns: string[]) => {
    const set = columns.map((c) => `${c} = ${c === 'lag_max_ms' ? `case when excluded.${c} > clerk_webhook_event_activity.${c} then excluded.${c} else clerk_webhook_event_activity.${c} end` : `clerk_webhook_event_activity.${c} + excluded.${c}`}`).join(', ');
    await sql`insert into clerk_webhook_event_activity (minute, shard, ${sql.raw(columns.join(', '))}) ${select}
      on conflict (minute, shard) do update set ${sql.raw(set)}`.execute(db);
  };
  await add(sql`select ${minute('processed_at')}, 0, count(*) from clerk_webhook_events where status in ('done', 'skipped') and processed_at is not null group by 1`, ['processed']);
  await add(
    sql`select ${minute('started_at')}, 0, sum(case when outcome = 'failed' then 1 else 0 end), sum(case when outcome = 'dead' then 1 else 0 end)
      from clerk_webhook_attempts where outcome in ('failed', 'dead') group by 1`,
    ['failed', 'dead'],
  );
  // Processing lag: receipt to the end of an event's first attempt (not of a replay's).
  const lag = sql.raw('cast(a.started_at + a.duration_ms - e.received_at as bigint)');
  await add(
    sql`select ${minute('a.started_at')}, 0, sum(${lag}), count(*), max(${lag})
      from clerk_webhook_attempts a join clerk_webhook_events e on e.svix_id = a.svix_id
     where a.attempt = 1 and not exists (select 1 from clerk_webhook_attempts p where p.svix_id = a.svix_id and p.id < a.id)
     group by 1`,
    ['lag_sum_ms', 'lag_count', 'lag_max_ms'],
  );
}
