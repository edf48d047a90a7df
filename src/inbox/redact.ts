import { join, q } from '../store/sql.js';
import type { SqlWriter } from '../store/sql-writer.js';

/**
 * What a redacted event keeps of its `data`, at any depth: ids (`id`, `*_id`), `object`,
 * `status`, `deleted` and times (`*_at`), the structure around them, and nothing a person typed.
 */
const KEPT_KEY = /^(id|object|status|deleted|[a-z_]+_id|[a-z_]+_at)$/;

function keptOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'object' && v !== null).map(keptOf);
  if (typeof value !== 'object' || value === null) return undefined;
  const kept: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null) kept[key] = keptOf(v);
    else if (KEPT_KEY.test(key)) kept[key] = v;
  }
  return kept;
}

/** Headers a redacted event keeps (its signature no longer fits the body, so it goes). */
const KEPT_HEADERS = ['svix-id', 'svix-timestamp', 'webhook-id', 'webhook-timestamp', 'content-type'];

/**
 * An event body with the personal data taken out: the envelope's type, time and instance, and of
 * `data` only its ids, statuses and times (KEPT_KEY), marked `clerk_sync_redacted`. Names, email
 * addresses, phone numbers, metadata, the user agent and IP of `event_attributes`: gone. It still
 * parses as the event it was, with every id where it was, so it can still be processed (an event
 * redacted before its turn) or replayed, and changes nothing of the deleted user.
 */
export function redactedBody(body: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return JSON.stringify({ clerk_sync_redacted: true });
  }
  return JSON.stringify({
    type: event.type,
    object: event.object,
    timestamp: event.timestamp,
    instance_id: event.instance_id,
    data: keptOf(event.data) ?? {},
    clerk_sync_redacted: true,
  });
}

export function redactedHeaders(headers: string): string {
  try {
    const all = JSON.parse(headers) as Record<string, string>;
    return JSON.stringify(Object.fromEntries(KEPT_HEADERS.filter((h) => h in all).map((h) => [h, all[h]])));
  } catch {
    return '{}';
  }
}

/**
 * Redacts, in the caller's transaction, every stored event about a deleted user: their own
 * `user.*` events (the deletion too, which holds little), and those of their sessions,
 * memberships, organization invitations, emails and SMS messages, found through the synced rows
 * (so call it before those rows are deleted). Returns how many it redacted.
 */
export async function redactUserEvents(sql: SqlWriter, userId: string): Promise<number> {
  const { rows } = await sql.exec<{ svix_id: string; body: string; headers: string }>(q`
    select svix_id, body, headers from clerk_webhook_events
     where (
       entity_id = ${userId}
       or entity_id in (select id from clerk_sessions where user_id = ${userId})
       or entity_id in (select id from clerk_organization_memberships where user_id = ${userId})
       or entity_id in (select id from clerk_organization_invitations where user_id = ${userId})
       or entity_id in (select id from clerk_emails where user_id = ${userId})
       or entity_id in (select id from clerk_sms_messages where user_id = ${userId}))`);
  return redactRows(sql, rows);
}

async function redactRows(sql: SqlWriter, rows: ReadonlyArray<{ svix_id: string; body: string; headers: string }>): Promise<number> {
  let redacted = 0;
  for (const r of rows) {
    if (r.body.includes('"clerk_sync_redacted":true')) continue;
    await sql.run(q`update clerk_webhook_events set body = ${redactedBody(r.body)}, headers = ${redactedHeaders(r.headers)} where svix_id = ${r.svix_id}`);
    redacted++;
  }
  return redacted;
}

/**
 * Redacts, in the caller's transaction, the events just processed that concern a user already
 * deleted: what arrives after `user.deleted` (a Svix retry of an earlier delivery, a late session
 * or email) would otherwise keep that user's personal data in the inbox. `concerns` pairs each
 * event with the users it is about. One query when none of them is deleted. Returns how many it
 * redacted.
 */
export async function redactEventsOfDeletedUsers(sql: SqlWriter, concerns: ReadonlyArray<{ svixId: string; userIds: readonly string[] }>): Promise<number> {
  const userIds = [...new Set(concerns.flatMap((c) => c.userIds))];
  if (userIds.length === 0) return 0;
  const { rows: deleted } = await sql.exec<{ id: string }>(q`select id from clerk_users where deleted_at is not null and id in (${list(userIds)})`);
  if (deleted.length === 0) return 0;
  const gone = new Set(deleted.map((r) => r.id));
  const svixIds = concerns.filter((c) => c.userIds.some((u) => gone.has(u))).map((c) => c.svixId);
  const { rows } = await sql.exec<{ svix_id: string; body: string; headers: string }>(q`select svix_id, body, headers from clerk_webhook_events where svix_id in (${list(svixIds)})`);
  return redactRows(sql, rows);
}

const list = (values: readonly string[]) => join(values.map((v) => q`${v}`));
