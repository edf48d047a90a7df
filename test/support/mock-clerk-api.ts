import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventFixture, freshId } from '../../src/events/fixtures.js';
import { onFileEnd } from './env.js';

/**
 * A local stand-in for Clerk's Backend API, as its OpenAPI spec (bapi 2026-05-12) documents it.
 *
 * - Auth: `Authorization: Bearer <secret key>`; a malformed header or an unknown key gets Clerk's 401
 *   and error JSON. Besides the main instance (`secretKey`), `otherInstances` each have their own
 *   key, instance id and data: a request sees only the data of the instance its key belongs to.
 * - GET only, under /v1; objects in the Backend API's shapes (the `api*` factories below):
 *   - /users: a bare array; `starting_after=<user id>` cursor pagination as documented (422 with
 *     a non-zero offset or an ordering other than created_at; 422 too when no such user exists,
 *     which the spec leaves open); /users/count: `{object: 'total_count', total_count}`;
 *   - {data, total_count}: /organizations, /organization_memberships, /organizations/{id}/memberships,
 *     /organization_invitations (`status`, repeatable), /organization_domains (`organization_id`,
 *     `enrollment_mode` with `-` to exclude), /organization_roles, /organization_permissions,
 *     /waitlist_entries (`status`);
 *   - /invitations: a bare array, {data, total_count} with `paginated=true`; as documented it lists
 *     the non-revoked invitations unless `status` asks for one (`status=revoked` lists those);
 *   - /billing/subscription_items: {data, total_count}; every status unless `status` (`free_trial`
 *     selects `is_free_trial` items), `payer_type` (user|org), `plan_id`; items of a free plan
 *     (`plan.fee.amount` 0, or no plan) only with `include_free=true`. It has no `order_by`: newest
 *     first, as the spec says (option `subscriptionItemsOrder: 'oldest-first'` to change that);
 *   - /instance: `{object: 'instance', id, environment_type, allowed_origins, workspace_id}`.
 * - Lists take limit (1-500, default 10) and offset (>= 0), else 422; where the spec has `order_by`,
 *   `[+|-]field` for the fields it lists (no sign: ascending; default `-created_at`; others 422).
 *   Equal values are ordered by id.
 * - Faults: rate limiting per key in a fixed window (429 with Retry-After in seconds, as Clerk);
 *   `fail` answers a status of its choosing (500, 502, 503, ...) with Clerk's error JSON; `hold`
 *   keeps requests open, unanswered, until `release()` answers them from the data as it is then
 *   (or forever: to kill a client mid-run). Every request is recorded in `requests` (a held one
 *   as `held` until released, then with the status it got).
 */

type ApiObject = Record<string, any>;

/** The data of one Clerk instance: mutable arrays of Backend API objects. */
export interface MockClerkData {
  users?: ApiObject[];
  organizations?: ApiObject[];
  memberships?: ApiObject[];
  organizationInvitations?: ApiObject[];
  organizationDomains?: ApiObject[];
  roles?: ApiObject[];
  permissions?: ApiObject[];
  invitations?: ApiObject[];
  waitlistEntries?: ApiObject[];
  subscriptionItems?: ApiObject[];
}

export const MOCK_RESOURCES = [
  'users',
  'organizations',
  'memberships',
  'organizationInvitations',
  'organizationDomains',
  'roles',
  'permissions',
  'invitations',
  'waitlistEntries',
  'subscriptionItems',
] as const satisfies ReadonlyArray<keyof MockClerkData>;

export type MockResource = (typeof MOCK_RESOURCES)[number];

export interface MockClerkApiOptions extends MockClerkData {
  secretKey: string;
  instanceId?: string;
  /** More instances on the same server, each reached with its own key (a "wrong-instance key"). */
  otherInstances?: Array<MockClerkData & { secretKey: string; instanceId: string }>;
  /** At most `requests` per `windowMs` per key; beyond that 429 with Retry-After until the window ends. */
  rateLimit?: { requests: number; windowMs: number };
  /** GET /v1/organization_memberships answers 404 (older API versions). */
  noInstanceMembershipList?: boolean;
  /** /billing/subscription_items has no order_by; the spec says newest first. */
  subscriptionItemsOrder?: 'newest-first' | 'oldest-first';
}

export interface RecordedRequest {
  path: string;
  query: URLSearchParams;
  /** `held` while `hold` keeps it open; the status it was answered with once released. */
  status: number | 'held';
  at: number;
  /** The instance the request's key belongs to; null for a rejected key. */
  instanceId: string | null;
  /** It was held, then released (answered at `releasedAt`). */
  releasedAt?: number;
}

/** One instance's data as the server holds it: the arrays are live, change them in place or assign new ones. */
export type MockClerkInstance = Required<MockClerkData> & { readonly secretKey: string; readonly instanceId: string };

export interface MockClerkApi extends MockClerkInstance {
  url: string;
  requests: RecordedRequest[];
  /** The instances of `otherInstances`, in order. */
  otherInstances: MockClerkInstance[];
  /** Requests for which this returns true are held open, unanswered, until `release()` (never, if not called). */
  hold: ((path: string, query: URLSearchParams) => boolean) | null;
  /** A status (>= 400) for a request answers it with that status and Clerk's error JSON instead; null: answer normally. */
  fail: ((path: string, query: URLSearchParams) => number | null) | null;
  /** Answers every held request whose client is still there, from the data as it is now; returns how many. */
  release(): number;
  close(): Promise<void>;
}

const traceId = () => randomBytes(16).toString('hex');

const DEFAULT_INSTANCE_ID = 'ins_mock000000000000000000001';

function clerkError(res: ServerResponse, status: number, code: string, message: string, longMessage: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ errors: [{ message, long_message: longMessage, code }], clerk_trace_id: traceId() }));
  return status;
}

const json = (res: ServerResponse, body: unknown): number => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return 200;
};

/** The error Clerk answers a status with (a fault injected through `fail`). */
function faultError(res: ServerResponse, status: number): number {
  if (status === 429) return clerkError(res, 429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later', { 'retry-after': '1' });
  if (status >= 500) {
    const message = status === 502 ? 'Bad gateway' : status === 503 ? 'Service unavailable' : status === 504 ? 'Gateway timeout' : 'Internal server error';
    return clerkError(res, status, status === 500 ? 'internal_clerk_error' : 'service_unavailable', message, `${message}: the request could not be completed, retry later`);
  }
  return clerkError(res, status, 'request_failed', 'Request failed', `The request failed with status ${status}`);
}

const fixtureData = (type: Parameters<typeof eventFixture>[0], now: number): ApiObject => eventFixture(type, { now }).data as unknown as ApiObject;

/** The random part of a Clerk id, lowercased: to make names, keys and emails unique per object. */
const suffixOf = (id: string) => id.slice(id.lastIndexOf('_') + 1).toLowerCase();

/** A Backend API User object: the shape webhooks carry in `data`, at the given times. */
export function apiUser(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('user.created', updatedAt);
  return { ...data, created_at: createdAt, updated_at: updatedAt, ...fields };
}

export function apiOrganization(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('organization.created', updatedAt);
  return { ...data, created_at: createdAt, updated_at: updatedAt, ...fields };
}

export function apiMembership(org: ApiObject, user: ApiObject, createdAt: number, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('organizationMembership.created', createdAt);
  return {
    ...data,
    organization: { ...data.organization, id: org.id, name: org.name, slug: org.slug },
    public_user_data: { ...data.public_user_data, user_id: user.id, first_name: user.first_name, last_name: user.last_name },
    created_at: createdAt,
    updated_at: createdAt,
    ...fields,
  };
}

/** `users`, `organizations` and `memberships` (user i in organization i mod orgs), oldest first from `t0`, a second apart. */
export function sampleInstance(t0: number, n: { users: number; orgs: number; memberships: number }) {
  const users = Array.from({ length: n.users }, (_, i) => apiUser(t0 + i * 1000, t0 + i * 1000 + 500, { first_name: `User${i}` }));
  const organizations = Array.from({ length: n.orgs }, (_, i) => apiOrganization(t0 + i * 1000, t0 + i * 1000, { name: `Org${i}` }));
  const memberships = Array.from({ length: n.memberships }, (_, i) => apiMembership(organizations[i % n.orgs]!, users[i]!, t0 + 100_000 + i));
  return { users, organizations, memberships };
}

/**
 * The fields that tie an organization invitation or domain to `org`: `organization_id` and the
 * `public_organization_data` the Backend API lists them with.
 */
export function organizationRef(org: ApiObject): ApiObject {
  return {
    organization_id: org.id,
    public_organization_data: { id: org.id, name: org.name, slug: org.slug, image_url: org.image_url, has_image: org.has_image },
  };
}

/** A Permission (`perm_`), with a unique `org:<feature>:manage` key. */
export function apiPermission(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('permission.created', updatedAt);
  const id: string = fields.id ?? data.id;
  return { ...data, id, key: `org:feature_${suffixOf(id)}:manage`, created_at: createdAt, updated_at: updatedAt, ...fields };
}

/** A Role (`role_`) with a unique `org:` key; it lists its `permissions` (Permission objects), none unless given. */
export function apiRole(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('role.created', updatedAt);
  const id: string = fields.id ?? data.id;
  return { ...data, id, key: `org:role_${suffixOf(id)}`, permissions: [], created_at: createdAt, updated_at: updatedAt, ...fields };
}

/** An OrganizationDomain (`orgdmn_`) with a unique name; of the fixture's organization unless `fields` has organizationRef(org). */
export function apiOrganizationDomain(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('organizationDomain.created', updatedAt);
  const id: string = fields.id ?? data.id;
  return { ...data, id, name: `d${suffixOf(id)}.example.com`, affiliation_email_address: `admin@d${suffixOf(id)}.example.com`, created_at: createdAt, updated_at: updatedAt, ...fields };
}

/**
 * An organization invitation (`orginv_`) as /organization_invitations lists it: with `organization_id`
 * and `public_organization_data` (organizationRef(org) in `fields` ties it to an organization), pending.
 */
export function apiOrganizationInvitation(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('organizationInvitation.created', updatedAt);
  const id: string = fields.id ?? data.id;
  const org = { id: data.organization_id, name: 'Acme Corp', slug: 'acme-corp', image_url: 'https://img.clerk.com/proxy/example-url', has_image: false };
  return { ...data, ...organizationRef(org), id, email_address: `invitee.${suffixOf(id)}@example.com`, created_at: createdAt, updated_at: updatedAt, ...fields };
}

/** An application invitation (`inv_`), pending, to a unique email address. */
export function apiInvitation(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('invitation.created', updatedAt);
  const id: string = fields.id ?? data.id;
  return { ...data, id, email_address: `invited.${suffixOf(id)}@example.com`, created_at: createdAt, updated_at: updatedAt, ...fields };
}

/** A waitlist entry (`wle_`), pending, for a unique email address. */
export function apiWaitlistEntry(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = fixtureData('waitlistEntry.created', updatedAt);
  const id: string = fields.id ?? data.id;
  return { ...data, id, email_address: `waiting.${suffixOf(id)}@example.com`, created_at: createdAt, updated_at: updatedAt, ...fields };
}

/**
 * A billing plan (`cplan_`) as the Backend API embeds it in a subscription item (CommercePlan):
 * the price is `fee` ({amount, amount_formatted, currency, currency_symbol}), not the webhooks'
 * `amount`/`currency`. Paid ($20 a month) unless `fields` say otherwise; see freePlan().
 */
export function apiPlan(fields: ApiObject = {}): ApiObject {
  const id: string = fields.id ?? freshId('cplan');
  const money = (amount: number) => ({ amount, amount_formatted: (amount / 100).toFixed(2), currency: 'USD', currency_symbol: '$' });
  const amount: number = fields.fee?.amount ?? 2000;
  return {
    object: 'commerce_plan',
    id,
    name: 'Pro',
    fee: money(amount),
    annual_monthly_fee: money(Math.round(amount * 0.8)),
    annual_fee: money(Math.round(amount * 0.8) * 12),
    description: 'Everything in Free, and more',
    product_id: 'cprod_2g7np7Hrk0SN6kj5EDMLDaKNL0S',
    is_default: false,
    is_recurring: true,
    publicly_visible: true,
    has_base_fee: amount > 0,
    for_payer_type: 'user',
    slug: `pro-${suffixOf(id)}`,
    avatar_url: null,
    features: [],
    free_trial_enabled: false,
    free_trial_days: null,
    ...fields,
  };
}

/** The default free plan: `fee.amount` 0, `is_default`. /billing/subscription_items leaves its items out unless `include_free=true`. */
export function freePlan(fields: ApiObject = {}): ApiObject {
  const money = { amount: 0, amount_formatted: '0.00', currency: 'USD', currency_symbol: '$' };
  return apiPlan({ name: 'Free', fee: money, annual_monthly_fee: money, annual_fee: money, is_default: true, has_base_fee: false, is_recurring: false, ...fields });
}

/** Whether /billing/subscription_items counts an item as one of a free plan. */
export function isFreeItem(item: ApiObject): boolean {
  return !item.plan || !(Number(item.plan.fee?.amount ?? 0) > 0);
}

/**
 * A subscription item (`csub_item_`) as /billing/subscription_items lists it (CommerceSubscriptionItem):
 * active, on a paid plan (apiPlan()) unless `fields` say otherwise. Unlike the webhook payload it
 * has `plan_period` (not `interval`), `plan.fee` (not `plan.amount`/`plan.currency`), `payer_id`,
 * `instance_id`, and no `subscription_id`.
 */
export function apiSubscriptionItem(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const event = eventFixture('subscriptionItem.active', { now: updatedAt });
  const data = event.data as unknown as ApiObject;
  const plan = fields.plan === undefined ? apiPlan() : fields.plan;
  return {
    object: 'commerce_subscription_item',
    id: data.id,
    instance_id: event.instance_id,
    status: 'active',
    plan_id: plan?.id ?? null,
    price_id: freshId('cprice'),
    plan,
    plan_period: data.interval,
    payer_id: data.payer.id,
    payer: { ...data.payer, instance_id: event.instance_id },
    is_free_trial: false,
    period_start: createdAt,
    period_end: null,
    canceled_at: null,
    past_due_at: null,
    ended_at: null,
    seats: data.seats,
    created_at: createdAt,
    updated_at: updatedAt,
    ...fields,
  };
}

type Order = { field: string; desc: boolean };

/** `[+|-]field`: `-` descending, `+` or nothing ascending; null when the field is not one the endpoint orders by. */
function parseOrder(value: string | null, allowed: readonly string[]): Order | null {
  const v = value ?? '-created_at';
  const desc = v.startsWith('-');
  const field = v.replace(/^[+-]/, '');
  return allowed.includes(field) ? { field, desc } : null;
}

const sortValue = (o: ApiObject, field: string): any => o[field] ?? o.public_user_data?.[field] ?? null;

function compare(a: ApiObject, b: ApiObject, order: Order): number {
  const x = sortValue(a, order.field);
  const y = sortValue(b, order.field);
  let c = 0;
  if (x === null || y === null) c = x === y ? 0 : x === null ? 1 : -1;
  else c = x < y ? -1 : x > y ? 1 : 0;
  if (c === 0) c = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return order.desc ? -c : c;
}

const ORDERS = {
  users: ['created_at', 'updated_at', 'email_address', 'web3wallet', 'first_name', 'last_name', 'phone_number', 'username', 'last_active_at', 'last_sign_in_at'],
  organizations: ['name', 'created_at', 'members_count'],
  memberships: ['phone_number', 'email_address', 'created_at', 'first_name', 'last_name', 'username'],
  organizationInvitations: ['created_at', 'email_address'],
  organizationDomains: ['name', 'created_at'],
  roles: ['created_at', 'name', 'key'],
  permissions: ['created_at', 'name', 'key'],
  invitations: ['created_at', 'email_address', 'expires_at'],
  waitlistEntries: ['created_at', 'email_address', 'invited_at'],
} as const;

interface Held {
  req: IncomingMessage;
  res: ServerResponse;
  instance: MockClerkInstance;
  path: string;
  query: URLSearchParams;
  record: RecordedRequest;
}

function instanceOf(data: MockClerkData & { secretKey: string; instanceId: string }): MockClerkInstance {
  const instance = { secretKey: data.secretKey, instanceId: data.instanceId } as MockClerkInstance;
  for (const r of MOCK_RESOURCES) (instance as any)[r] = data[r] ?? [];
  return instance;
}

export async function startMockClerkApi(options: MockClerkApiOptions): Promise<MockClerkApi> {
  const requests: RecordedRequest[] = [];
  const windows = new Map<string, { start: number; count: number }>();
  const main = instanceOf({ ...options, instanceId: options.instanceId ?? DEFAULT_INSTANCE_ID });
  const others = (options.otherInstances ?? []).map(instanceOf);
  const byKey = new Map<string, MockClerkInstance>([[options.secretKey, main], ...others.map((o) => [o.secretKey, o] as const)]);
  const faults = {
    hold: null as MockClerkApi['hold'],
    fail: null as MockClerkApi['fail'],
  };
  let held: Held[] = [];

  /** One page of `all`; `order` null: the endpoint has no order_by (newest first, or as `fixedOrder` says). */
  const page = (res: ServerResponse, all: ApiObject[], query: URLSearchParams, shape: { wrap: boolean; order: readonly string[] | null; fixedOrder?: Order }): number => {
    const limit = query.has('limit') ? Number(query.get('limit')) : 10;
    const offset = query.has('offset') ? Number(query.get('offset')) : 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'limit must be an integer greater than zero and less than 501');
    }
    if (!Number.isInteger(offset) || offset < 0) return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'offset must be an integer greater or equal to zero');
    let order = shape.fixedOrder ?? { field: 'created_at', desc: true };
    if (shape.order) {
      const parsed = parseOrder(query.get('order_by'), shape.order);
      if (!parsed) return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', `order_by must be one of ${shape.order.map((f) => `[+-]${f}`).join(', ')}`);
      order = parsed;
    }
    const sorted = [...all].sort((a, b) => compare(a, b, order));
    let start = offset;
    const cursor = query.get('starting_after');
    if (cursor !== null) {
      if (order.field !== 'created_at') return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'starting_after requires ordering by created_at');
      if (offset !== 0) return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'starting_after cannot be combined with a non-zero offset');
      const at = sorted.findIndex((o) => o.id === cursor);
      if (at < 0) return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', `starting_after: no user with id ${cursor}`);
      start = at + 1;
    }
    const data = sorted.slice(start, start + limit);
    return json(res, shape.wrap ? { data, total_count: all.length } : data);
  };

  /** Answers a request of `instance` (authenticated, not held). */
  const route = (res: ServerResponse, instance: MockClerkInstance, method: string | undefined, path: string, query: URLSearchParams): number => {
    if (method !== 'GET') return clerkError(res, 405, 'method_not_allowed', 'Method not allowed', 'Only GET is implemented by this mock');
    switch (path) {
      case '/v1/instance':
        return json(res, { object: 'instance', id: instance.instanceId, environment_type: 'development', allowed_origins: null, workspace_id: null });
      case '/v1/users':
        return page(res, instance.users, query, { wrap: false, order: ORDERS.users });
      case '/v1/users/count':
        return json(res, { object: 'total_count', total_count: instance.users.length });
      case '/v1/organizations':
        return page(res, instance.organizations, query, { wrap: true, order: ORDERS.organizations });
      case '/v1/organization_memberships':
        if (options.noInstanceMembershipList) break;
        return page(res, instance.memberships, query, { wrap: true, order: ORDERS.memberships });
      case '/v1/organization_invitations': {
        const statuses = query.getAll('status').flatMap((s) => s.split(','));
        const all = statuses.length ? instance.organizationInvitations.filter((i) => statuses.includes(i.status)) : instance.organizationInvitations;
        return page(res, all, query, { wrap: true, order: ORDERS.organizationInvitations });
      }
      case '/v1/organization_domains': {
        const org = query.get('organization_id');
        const modes = query.getAll('enrollment_mode').flatMap((s) => s.split(','));
        const include = modes.filter((m) => !m.startsWith('-'));
        const exclude = modes.filter((m) => m.startsWith('-')).map((m) => m.slice(1));
        const all = instance.organizationDomains.filter(
          (d) => (org === null || d.organization_id === org) && (include.length === 0 || include.includes(d.enrollment_mode)) && !exclude.includes(d.enrollment_mode),
        );
        return page(res, all, query, { wrap: true, order: ORDERS.organizationDomains });
      }
      case '/v1/organization_roles':
        return page(res, instance.roles, query, { wrap: true, order: ORDERS.roles });
      case '/v1/organization_permissions':
        return page(res, instance.permissions, query, { wrap: true, order: ORDERS.permissions });
      case '/v1/invitations': {
        const status = query.get('status');
        // "Returns all non-revoked invitations for your application" unless a status is asked for.
        const all = instance.invitations.filter((i) => (status === null ? i.status !== 'revoked' : i.status === status));
        return page(res, all, query, { wrap: query.get('paginated') === 'true', order: ORDERS.invitations });
      }
      case '/v1/waitlist_entries': {
        const status = query.get('status');
        const all = status === null ? instance.waitlistEntries : instance.waitlistEntries.filter((e) => e.status === status);
        return page(res, all, query, { wrap: true, order: ORDERS.waitlistEntries });
      }
      case '/v1/billing/subscription_items': {
        const status = query.get('status');
        const payerType = query.get('payer_type');
        const planId = query.get('plan_id');
        const includeFree = query.get('include_free') === 'true';
        const all = instance.subscriptionItems.filter(
          (i) =>
            (includeFree || !isFreeItem(i)) &&
            (status === null || (status === 'free_trial' ? i.is_free_trial === true : i.status === status)) &&
            (payerType === null || (payerType === 'org' ? !!i.payer?.organization_id : !!i.payer?.user_id)) &&
            (planId === null || i.plan_id === planId),
        );
        const fixedOrder = { field: 'created_at', desc: options.subscriptionItemsOrder !== 'oldest-first' };
        return page(res, all, query, { wrap: true, order: null, fixedOrder });
      }
    }
    const m = /^\/v1\/organizations\/([^/]+)\/memberships$/.exec(path);
    if (m) {
      const org = instance.organizations.find((o) => o.id === decodeURIComponent(m[1]!));
      if (!org) return clerkError(res, 404, 'resource_not_found', 'not found', `No organization was found with id ${m[1]}`);
      return page(res, instance.memberships.filter((x) => x.organization.id === org.id), query, { wrap: true, order: ORDERS.memberships });
    }
    return clerkError(res, 404, 'resource_not_found', 'not found', `No route ${path}`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): number | 'held' => {
    const { path, query } = record;
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer \S+$/.test(auth)) {
      return clerkError(res, 401, 'authorization_header_format_invalid', 'Invalid Authorization header format', "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'");
    }
    const instance = byKey.get(auth.slice('Bearer '.length));
    if (!instance) {
      return clerkError(res, 401, 'clerk_key_invalid', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.');
    }
    record.instanceId = instance.instanceId;
    if (options.rateLimit) {
      const now = Date.now();
      let window = windows.get(instance.secretKey) ?? { start: 0, count: 0 };
      if (now - window.start >= options.rateLimit.windowMs) window = { start: now, count: 0 };
      windows.set(instance.secretKey, window);
      if (++window.count > options.rateLimit.requests) {
        const retryAfter = Math.max(1, Math.ceil((window.start + options.rateLimit.windowMs - now) / 1000));
        return clerkError(res, 429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later', { 'retry-after': String(retryAfter) });
      }
    }
    const failure = faults.fail?.(path, query) ?? null;
    if (failure !== null) return faultError(res, failure);
    if (faults.hold?.(path, query)) {
      held.push({ req, res, instance, path, query, record });
      return 'held';
    }
    return route(res, instance, req.method, path, query);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: RecordedRequest = { path: url.pathname, query: url.searchParams, status: 'held', at: Date.now(), instanceId: null };
    record.status = handle(req, res, record);
    requests.push(record);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  onFileEnd(close);

  const api = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    secretKey: options.secretKey,
    instanceId: main.instanceId,
    otherInstances: others,
    get hold() {
      return faults.hold;
    },
    set hold(fn) {
      faults.hold = fn;
    },
    get fail() {
      return faults.fail;
    },
    set fail(fn) {
      faults.fail = fn;
    },
    release() {
      const waiting = held;
      held = [];
      let answered = 0;
      for (const h of waiting) {
        if (h.res.destroyed || h.req.socket.destroyed) continue;
        h.record.status = route(h.res, h.instance, h.req.method, h.path, h.query);
        h.record.releasedAt = Date.now();
        answered++;
      }
      return answered;
    },
    close,
  } as MockClerkApi;
  for (const r of MOCK_RESOURCES) {
    Object.defineProperty(api, r, {
      enumerable: true,
      get: () => main[r],
      set: (value: ApiObject[]) => {
        main[r] = value;
      },
    });
  }
  return api;
}
