import { dashboardAsset, dashboardShell, disabledPage, loginPage } from './dashboard/pages.js';
import type { Logger } from '../log.js';
import { ClerkSyncMetrics, METRICS_TOKEN_ENV } from '../metrics/metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus.js';
import type { Database } from '../store/database.js';
import { asHttpError, handleApi } from './api.js';
import { countAction, recordAction } from '../store/audit-log.js';
import { endedSessionsIn } from './ended-sessions.js';
import { LoginThrottle } from './login-throttle.js';
import { ADMIN_TOKEN_ENV, AdminAuth, checkAdminToken, csrfProblem, sameSecret, type Principal } from './auth.js';
import { checkReadiness, publicWorkerHealth } from './health.js';
import type { Worker } from '../worker/worker.js';
import { errorJson, HttpError, json, SECURITY_HEADERS } from './http.js';
import { ReplayJobs } from './replay-jobs.js';

export interface AdminHandlerOptions {
  /**
   * Turns the dashboard and admin API on. Default: $CLERK_SYNC_ADMIN_TOKEN. null or empty: off
   * (their routes answer 404 saying how to turn them on).
   */
  adminToken?: string | null;
  /** When set, /metrics requires `Authorization: Bearer <it>`. Default: $CLERK_SYNC_METRICS_TOKEN; unset: public. */
  metricsToken?: string | null;
  /** Counters for /metrics; pass the instance whose `hooks` fed createClerkSync. Default: an empty one (gauges only move). */
  metrics?: ClerkSyncMetrics;
  /** Where the handler is mounted, e.g. `/clerk-sync` when your app routes `/clerk-sync/*` to it. Default: none. */
  basePath?: string;
  /** The webhook path, for the 404 hint. */
  webhookPath?: string;
  logger?: Logger;
}

/** A ClerkSync (its worker is woken at once by replays) or a bare Database (workers elsewhere poll). */
export type AdminSource = { readonly database: Database; readonly worker: Pick<Worker, 'notify' | 'health'> | null } | Database;

export interface RequestContext {
  /** The client's address, recorded with admin actions. */
  remoteAddress?: string | null;
}

/** `(Request) => Promise<Response>` serving /dashboard, /api/admin, /metrics, /readyz and /healthz. */
export interface AdminHandler {
  (request: Request, context?: RequestContext): Promise<Response>;
  /** Whether the admin token is configured. */
  readonly enabled: boolean;
  /** Whether a path is one this handler serves (so a framework can pass the rest on). */
  handles(pathname: string): boolean;
  /** Bulk replays started through this handler. */
  readonly jobs: ReplayJobs;
  /**
   * For servers that read the body themselves: the answer to give before reading it (no admin
   * token, or no credentials, for an API route), or null to read it and call the handler.
   */
  beforeBody(request: Request, context?: RequestContext): Promise<Response | null>;
}

/**
 * The operator surface of clerk-sync as one Fetch API handler, so any framework can mount it:
 *
 *   const admin = createAdminHandler(sync);               // sync from createClerkSync
 *   export const GET = admin, POST = admin;               // e.g. a Next.js catch-all route
 *
 * With a bare Database (no worker in this process), replays are picked up by the workers' poll.
 */
export function createAdminHandler(source: AdminSource, options: AdminHandlerOptions = {}): AdminHandler {
  const database = 'worker' in source ? source.database : source;
  const worker = 'worker' in source ? source.worker : null;
  const notify = () => worker?.notify();
  const adminToken = options.adminToken === undefined ? process.env[ADMIN_TOKEN_ENV] : options.adminToken;
  const auth = adminToken ? new AdminAuth(adminToken, endedSessionsIn(database)) : null;
  const logins = new LoginThrottle();
  const metricsTokenRaw = options.metricsToken === undefined ? process.env[METRICS_TOKEN_ENV] : options.metricsToken;
  const metricsToken = metricsTokenRaw ? checkAdminToken(metricsTokenRaw, METRICS_TOKEN_ENV) : null;
  const metrics = options.metrics ?? new ClerkSyncMetrics();
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const jobs = new ReplayJobs(database, notify);

  const handler = async (request: Request, context: RequestContext = {}): Promise<Response> => {
    const url = new URL(request.url);
    let path = url.pathname;
    if (base) {
      if (path !== base && !path.startsWith(`${base}/`)) return notFound(path);
      path = path.slice(base.length) || '/';
    }
    try {
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') {
        const { detail, ...r } = await checkReadiness(database);
        if (detail) options.logger?.warn('not ready: the database does not answer', { detail });
        const health = worker ? { worker: publicWorkerHealth(worker.health()) } : {};
        return json(r.ready ? 200 : 503, r.ready ? { status: 'ready', ...health } : { status: 'not_ready', ...r, ...health });
      }
      if (path === '/metrics') return await serveMetrics(request);
      if (path === '/api/admin' || path.startsWith('/api/admin/')) return await serveApi(request, path.slice('/api/admin'.length), context);
      if (path === '/dashboard' || path.startsWith('/dashboard/')) return await serveDashboard(request, path.slice('/dashboard'.length) || '/', context);
      return notFound(path);
    } catch (error) {
      const known = asHttpError(error);
      if (known) return errorJson(known);
      options.logger?.error('admin request failed', { path, error: error instanceof Error ? error.message : String(error) });
      return errorJson(new HttpError(500, 'internal_error', 'unexpected error; see the server log'));
    }
  };

  function notFound(path: string): Response {
    const hint = options.webhookPath ? `; Clerk webhooks go to POST ${options.webhookPath}` : '';
    return errorJson(new HttpError(404, 'not_found', `nothing at ${path}${hint}`));
  }

  async function serveMetrics(request: Request): Promise<Response> {
    if (metricsToken) {
      const m = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization')?.trim() ?? '');
      if (!m || !sameSecret(m[1]!.trim(), metricsToken)) {
        return errorJson(new HttpError(401, 'unauthorized', `/metrics needs Authorization: Bearer <${METRICS_TOKEN_ENV}>`, { 'www-authenticate': 'Bearer realm="clerk-sync metrics"' }));
      }
    }
    return new Response(await metrics.render(database, Date.now(), worker?.health()), { status: 200, headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' } });
  }

  async function serveApi(request: Request, path: string, context: RequestContext): Promise<Response> {
    if (!auth) throw disabled();
    const principal = await auth.authenticate(request);
    if (!principal) {
      throw new HttpError(401, 'unauthorized', `send Authorization: Bearer <${ADMIN_TOKEN_ENV}> (or log in to the dashboard)`, { 'www-authenticate': 'Bearer realm="clerk-sync admin"' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') checkCsrf(request, principal);
    return handleApi(request, path, { database, jobs, notify, actor: principal.kind, remoteAddress: context.remoteAddress ?? null });
  }

  function checkCsrf(request: Request, principal: Principal, formToken?: string | null): void {
    // Bearer requests cannot be forged by a browser (no CORS here); cookie sessions can, so check.
    if (principal.kind !== 'dashboard') return;
    const problem = csrfProblem(request, principal.csrf, formToken);
    if (problem) throw new HttpError(403, 'csrf_rejected', `refused: ${problem}`);
  }

  async function serveDashboard(request: Request, sub: string, context: RequestContext): Promise<Response> {
    if (!auth) return disabledPage(ADMIN_TOKEN_ENV);
    if (sub.startsWith('/static/')) return dashboardAsset(sub.slice('/static/'.length));
    const dashboardBase = `${base}/dashboard`;
    if (sub === '/login' && request.method === 'POST') {
      const problem = csrfProblem(request, null);
      if (problem) throw new HttpError(403, 'csrf_rejected', `refused: ${problem}`);
      const address = context.remoteAddress ?? 'unknown';
      const waitMs = logins.retryAfterMs(address);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        const page = loginPage(dashboardBase, `Too many failed logins; try again in ${seconds} s.`, 429);
        page.headers.set('retry-after', String(seconds));
        return page;
      }
      const form = new URLSearchParams(await request.text());
      const ok = auth.tokenMatches(form.get('token') ?? '');
      if (!ok) {
        // One audit row per address and minute, counting its failures; the throttle bounds both.
        const failures = logins.fail(address);
        if (failures.auditId === null) failures.auditId = await recordAction(database, { actor: 'dashboard', action: 'login_failed', count: 1, remoteAddress: context.remoteAddress ?? null });
        else await countAction(database, failures.auditId, failures.count);
        // Slow down guessing; the comparison itself is constant-time.
        await new Promise((r) => setTimeout(r, 300));
        return loginPage(dashboardBase, 'That token is not the one set in CLERK_SYNC_ADMIN_TOKEN.', 401);
      }
      await recordAction(database, { actor: 'dashboard', action: 'login', remoteAddress: context.remoteAddress ?? null });
      const session = auth.newSession(request);
      const next = form.get('next') ?? '';
      const target = next.startsWith(`${dashboardBase}/`) || next === dashboardBase ? next : dashboardBase;
      return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location: target, 'set-cookie': session.setCookie } });
    }
    if (sub === '/logout' && request.method === 'POST') {
      // Even without a valid session: another site must not be able to log anyone out.
      const principal = await auth.authenticate(request);
      const problem = csrfProblem(request, principal?.kind === 'dashboard' ? principal.csrf : null, new URLSearchParams(await request.text()).get('csrf'));
      if (problem) throw new HttpError(403, 'csrf_rejected', `refused: ${problem}`);
      if (principal?.kind === 'dashboard') await auth.endSession(principal.session);
      return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location: `${dashboardBase}/login`, 'set-cookie': AdminAuth.clearCookie(request) } });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'method_not_allowed', 'use GET for dashboard pages', { allow: 'GET' });
    const principal = await auth.authenticate(request);
    if (sub === '/login') return principal ? redirect(dashboardBase) : loginPage(dashboardBase, null, 200);
    if (!principal || principal.kind !== 'dashboard') return loginPage(dashboardBase, null, 401, url(request).pathname);
    return dashboardShell({ base, csrf: principal.csrf });
  }

  const beforeBody = async (request: Request): Promise<Response | null> => {
    const path = new URL(request.url).pathname.slice(base.length) || '/';
    if (path.startsWith('/api/admin')) {
      if (!auth) return errorJson(disabled());
      if (!(await auth.authenticate(request))) return errorJson(new HttpError(401, 'unauthorized', `send Authorization: Bearer <${ADMIN_TOKEN_ENV}> (or log in to the dashboard)`, { 'www-authenticate': 'Bearer realm="clerk-sync admin"' }));
    }
    return null;
  };

  const handles = (pathname: string): boolean => {
    if (base && pathname !== base && !pathname.startsWith(`${base}/`)) return false;
    const p = base ? pathname.slice(base.length) || '/' : pathname;
    return OWN_PATHS.has(p) || p.startsWith('/dashboard/') || p.startsWith('/api/admin/');
  };

  return Object.assign(handler, { enabled: auth !== null, jobs, handles, beforeBody });
}

const OWN_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/dashboard', '/api/admin']);

function disabled(): HttpError {
  return new HttpError(404, 'admin_disabled', `the dashboard and admin API are off; set ${ADMIN_TOKEN_ENV} (at least 16 random characters, e.g. \`openssl rand -hex 32\`) and restart clerk-sync serve to turn them on`);
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location } });
}

function url(request: Request): URL {
  return new URL(request.url);
}
