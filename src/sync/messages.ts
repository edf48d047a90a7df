import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { insertRows } from './inserts.js';
import { lockParent } from './parent-locks.js';
import { q, raw } from '../store/sql.js';
import { bool, int, json, longText, text, type Payload } from './values.js';

/**
 * email.created / sms.created: what Clerk asked to send, for apps that deliver messages themselves.
 * Messages never change at Clerk, so a replay keeps the stored row (and whatever the app recorded
 * in it). Messages to a deleted user are not kept: user.deleted deletes them, and one arriving
 * after the deletion is removed in the same transaction.
 */
export async function insertEmail(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('email payload has no string `id`; cannot sync it');
  const userId = text(d.user_id);
  await lockParent(ctx.sql, 'clerk_users', userId);
  await insertRows(ctx.sql, 'clerk_emails', [{
    id,
    instance_id: ctx.instanceId,
    to_email_address: text(d.to_email_address),
    from_email_name: text(d.from_email_name),
    reply_to_email_name: text(d.reply_to_email_name),
    subject: text(d.subject),
    slug: text(d.slug),
    status: text(d.status),
    delivered_by_clerk: bool(d.delivered_by_clerk),
    user_id: userId,
    email_address_id: text(d.email_address_id),
    body: longText(d.body),
    body_plain: longText(d.body_plain),
    data: json(d.data),
    created_at: int(d.created_at) ?? ctx.eventTime,
    // The bodies are most of an email's size and have their own columns: not stored twice.
    payload: JSON.stringify({ ...d, body: undefined, body_plain: undefined }),
  }], { ignoreConflicts: true });
  if (userId !== null) await dropIfUserDeleted('clerk_emails', id, userId, ctx);
}

export async function insertSms(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('sms payload has no string `id`; cannot sync it');
  const userId = text(d.user_id);
  await lockParent(ctx.sql, 'clerk_users', userId);
  await insertRows(ctx.sql, 'clerk_sms_messages', [{
    id,
    instance_id: ctx.instanceId,
    to_phone_number: text(d.to_phone_number),
    from_phone_number: text(d.from_phone_number),
    message: longText(d.message),
    slug: text(d.slug),
    status: text(d.status),
    delivered_by_clerk: bool(d.delivered_by_clerk),
    user_id: userId,
    phone_number_id: text(d.phone_number_id),
    data: json(d.data),
    created_at: int(d.created_at_ms) ?? int(d.created_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  }], { ignoreConflicts: true });
  if (userId !== null) await dropIfUserDeleted('clerk_sms_messages', id, userId, ctx);
}

async function dropIfUserDeleted(table: 'clerk_emails' | 'clerk_sms_messages', id: string, userId: string, ctx: SyncContext): Promise<void> {
  await ctx.sql.run(q`delete from ${raw(table)} where id = ${id}
    and (select deleted_at from clerk_users where id = ${userId}) is not null`);
}
