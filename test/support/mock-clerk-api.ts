import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventFixture } from '../../src/events/fixtures.js';
import { onFileEnd } from './env.js';

/**
 * A local stand-in for Clerk's Backend API, as documented: Bearer secret-key auth (401 with
 * Clerk's error JSON), GET /v1/users (a bare array) and /v1/users/count, GET /v1/organizations,
 * /v1/organization_memberships and /v1/organizations/{id}/memberships ({data, total_count}),
 * limit (1-500, default 10) / offset / order_by=±created_at pagination, GET /v1/instance, and rate
 * limiting per fixed window with 429 and Retry-After (seconds), as Clerk does.
 */

type ApiObject = Record<string, any>;

export interface MockClerkApiOptions {
  secretKey: string;
  users?: ApiObject[];
  organizations?: ApiObject[];
  memberships?: ApiObject[];
  instanceId?: string;
  /** At most `requests` per `windowMs`; beyond that 429 with Retry-After until the window ends. */
  rateLimit?: { requests: number; windowMs: number };
  /** GET /v1/organization_memberships answers 404 (older API versions). */
  noInstanceMembershipList?: boolean;
}

export interface RecordedRequest {
  path: string;
  query: URLSearchParams;
  status: number | 'held';
  at: number;
}

export interface MockClerkApi {
  url: string;
  requests: RecordedRequest[];
  users: ApiObject[];
  organizations: ApiObject[];
  memberships: ApiObject[];
  /** Requests for which this returns true are held open, never answered (to kill a client mid-run). */
  hold: ((path: string, query: URLSearchParams) => boolean) | null;
  close(): Promise<void>;
}

const traceId = () => randomBytes(16).toString('hex');

function clerkError(res: ServerResponse, status: number, code: string, message: string, longMessage: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ errors: [{ message, long_message: longMessage, code }], clerk_trace_id: traceId() }));
  return status;
}

/** A Backend API User object: the shape webhooks carry in `data`, at the given times. */
export function apiUser(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = eventFixture('user.created', { now: updatedAt }).data as unknown as ApiObject;
  return { ...data, created_at: createdAt, updated_at: updatedAt, ...fields };
}

export function apiOrganization(createdAt: number, updatedAt = createdAt, fields: ApiObject = {}): ApiObject {
  const data = eventFixture('organization.created', { now: updatedAt }).data as unknown as ApiObject;
  return { ...data, created_at: createdAt, updated_at: updatedAt, ...fields };
}

export function apiMembership(org: ApiObject, user: ApiObject, createdAt: number, fields: ApiObject = {}): ApiObject {
  const data = eventFixture('organizationMembership.created', { now: createdAt }).data as unknown as ApiObject;
  return {
    ...data,
    organization: { ...data.organization, id: org.id, name: org.name, slug: org.slug },
    public_user_data: { ...data.public_user_data, user_id: user.id, first_name: user.first_name, last_name: user.last_name },
    created_at: createdAt,
    updated_at: createdAt,
    ...fields,
  };
}

export async function startMockClerkApi(options: MockClerkApiOptions): Promise<MockClerkApi> {
  const requests: RecordedRequest[] = [];
  let window = { start: 0, count: 0 };
  const mock = {
    users: options.users ?? [],
    organizations: options.organizations ?? [],
    memberships: options.memberships ?? [],
    hold: null as MockClerkApi['hold'],
  };

  const page = (res: ServerResponse, all: ApiObject[], query: URLSearchParams, wrap: boolean): number => {
    const limit = query.has('limit') ? Number(query.get('limit')) : 10;
    const offset = query.has('offset') ? Number(query.get('offset')) : 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'limit must be an integer greater than zero and less than 501', {});
    }
    if (!Number.isInteger(offset) || offset < 0) return clerkError(res, 422, 'form_param_value_invalid', 'is invalid', 'offset must be an integer greater or equal to zero');
    const orderBy = query.get('order_by') ?? '-created_at';
    const sorted = [...all].sort((a, b) => (orderBy === '+created_at' || orderBy === 'created_at' ? a.created_at - b.created_at : b.created_at - a.created_at));
    const data = sorted.slice(offset, offset + limit);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(wrap ? { data, total_count: all.length } : data));
    return 200;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): number | 'held' => {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer \S+$/.test(auth)) {
      return clerkError(res, 401, 'authorization_header_format_invalid', 'Invalid Authorization header format', "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'");
    }
    if (auth !== `Bearer ${options.secretKey}`) {
      return clerkError(res, 401, 'clerk_key_invalid', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.');
    }
    if (options.rateLimit) {
      const now = Date.now();
      if (now - window.start >= options.rateLimit.windowMs) window = { start: now, count: 0 };
      if (++window.count > options.rateLimit.requests) {
        const retryAfter = Math.max(1, Math.ceil((window.start + options.rateLimit.windowMs - now) / 1000));
        return clerkError(res, 429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later', { 'retry-after': String(retryAfter) });
      }
    }
    if (mock.hold?.(path, query)) return 'held';
    if (req.method !== 'GET') return clerkError(res, 405, 'method_not_allowed', 'Method not allowed', 'Only GET is implemented by this mock');
    if (path === '/v1/instance') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'instance', id: options.instanceId ?? 'ins_mock000000000000000000001', environment_type: 'development' }));
      return 200;
    }
    if (path === '/v1/users') return page(res, mock.users, query, false);
    if (path === '/v1/users/count') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'total_count', total_count: mock.users.length }));
      return 200;
    }
    if (path === '/v1/organizations') return page(res, mock.organizations, query, true);
    if (path === '/v1/organization_memberships' && !options.noInstanceMembershipList) return page(res, mock.memberships, query, true);
    const m = /^\/v1\/organizations\/([^/]+)\/memberships$/.exec(path);
    if (m) {
      const org = mock.organizations.find((o) => o.id === decodeURIComponent(m[1]!));
      if (!org) return clerkError(res, 404, 'resource_not_found', 'not found', `No organization was found with id ${m[1]}`);
      return page(res, mock.memberships.filter((x) => x.organization.id === org.id), query, true);
    }
    return clerkError(res, 404, 'resource_not_found', 'not found', `No route ${path}`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const status = handle(req, res, url.pathname, url.searchParams);
    requests.push({ path: url.pathname, query: url.searchParams, status, at: Date.now() });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  onFileEnd(close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    get users() {
      return mock.users;
    },
    get organizations() {
      return mock.organizations;
    },
    get memberships() {
      return mock.memberships;
    },
    get hold() {
      return mock.hold;
    },
    set hold(fn) {
      mock.hold = fn;
    },
    close,
  };
}
