import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { keepKnown, upsertNewer } from './guard.js';
import { distinctById, type RowOf } from './rows.js';
import { bool, count, int, json, list, nonEmpty, obj, text, type Payload } from './values.js';

/** The payer of a billing object: a user or an organization (Clerk sends `""` for the other one). */
export function payer(d: Payload) {
  const p = obj(d.payer);
  return {
    payer_id: text(p?.id) ?? text(d.payer_id),
    payer_user_id: nonEmpty(p?.user_id),
    payer_organization_id: nonEmpty(p?.organization_id),
  };
}

function itemRow(d: Payload, ctx: SyncContext, parent: { subscriptionId: string; payer: ReturnType<typeof payer> } | null, statusOfType: string | null) {
  const plan = obj(d.plan);
  const own = payer(d);
  return {
    id: text(d.id),
    instance_id: ctx.instanceId,
    subscription_id: text(d.subscription_id) ?? parent?.subscriptionId ?? null,
    status: text(d.status) ?? statusOfType,
    is_free_trial: bool(d.is_free_trial),
    plan_id: text(d.plan_id) ?? text(plan?.id),
    plan_name: text(plan?.name),
    plan_slug: text(plan?.slug),
    // Webhooks carry plan.amount/currency and `interval`; the Backend API's item (a reconcile)
    // carries plan.fee.amount/currency and `plan_period`.
    plan_amount: int(plan?.amount) ?? int(obj(plan?.fee)?.amount),
    plan_currency: text(plan?.currency) ?? text(obj(plan?.fee)?.currency),
    interval: text(d.interval) ?? text(d.plan_period),
    seats: count(obj(d.seats)?.quantity),
    // Items inside a subscription event carry no payer: it is the subscription's.
    ...(own.payer_id === null && parent ? parent.payer : own),
    period_start: int(d.period_start),
    period_end: int(d.period_end),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  } satisfies RowOf<'clerk_subscription_items'>;
}

/** subscription.*: the subscription, and the items it lists (each under its own guard). */
export async function upsertSubscription(d: Payload, ctx: SyncContext, statusOfType: string | null): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('subscription payload has no string `id`; cannot sync it');
  const subscriptionPayer = payer(d);
  await upsertNewer(
    ctx.sql,
    'clerk_subscriptions',
    {
      id,
      instance_id: ctx.instanceId,
      status: text(d.status) ?? statusOfType,
      ...subscriptionPayer,
      payment_source_id: text(d.payment_source_id),
      latest_payment_id: text(d.latest_payment_id),
      active_at: int(d.active_at),
      canceled_at: int(d.canceled_at),
      ended_at: int(d.ended_at),
      past_due_at: int(d.past_due_at),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      payload: JSON.stringify(d),
    },
    { tombstone: false },
  );
  const items = distinctById(list(d.items).map((i) => itemRow(i, ctx, { subscriptionId: id, payer: subscriptionPayer }, null)).filter((i) => i.id !== null));
  await upsertNewer(ctx.sql, 'clerk_subscription_items', items, { tombstone: false });
}

/** The Backend API's item does not say its subscription: one known from a webhook stays. */
const ITEM_SET = { subscription_id: keepKnown('clerk_subscription_items', 'subscription_id') };

/** subscriptionItem.* (and the items a reconcile lists) */
export async function upsertSubscriptionItem(d: Payload, ctx: SyncContext, statusOfType: string | null): Promise<void> {
  if (text(d.id) === null) throw new PermanentError('subscription item payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.sql, 'clerk_subscription_items', itemRow(d, ctx, null, statusOfType), { tombstone: false, set: ITEM_SET });
}

/** paymentAttempt.* */
export async function upsertPaymentAttempt(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('payment attempt payload has no string `id`; cannot sync it');
  const total = obj(obj(d.totals)?.grand_total);
  const itemIds = list(d.subscription_items).map((i) => text(i.id)).filter((i) => i !== null);
  await upsertNewer(
    ctx.sql,
    'clerk_payment_attempts',
    {
      id,
      instance_id: ctx.instanceId ?? text(d.instance_id),
      payment_id: text(d.payment_id),
      statement_id: text(d.statement_id) ?? text(d.invoice_id),
      gateway_external_id: text(d.gateway_external_id),
      status: text(d.status),
      charge_type: text(d.charge_type),
      amount: int(total?.amount),
      currency: text(total?.currency),
      ...payer(d),
      payment_source_id: text(obj(d.payment_source)?.id),
      paid_at: int(d.paid_at),
      failed_at: int(d.failed_at),
      failed_reason: json(d.failed_reason),
      billing_date: int(d.billing_date),
      subscription_item_ids: JSON.stringify(itemIds),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      payload: JSON.stringify(d),
    },
    { tombstone: false },
  );
}
