import type { EventFilter, EventPage, EventSummary, PageOptions } from '../inbox/browse.js';
import type { EventStats } from '../inbox/stats.js';
import { filterQuery, type ReconcileOverview, type ReplayJob, type ShownEvent } from './wire.js';

/**
 * A typed client for the admin API of a running clerk-sync (docs/api.md), for `--remote`:
 *
 *   const admin = new AdminClient('https://sync.example.com', process.env.CLERK_SYNC_ADMIN_TOKEN!);
 *   const { events } = await admin.listEvents({ statuses: ['dead'] });
 *
 * Every failure is an AdminClientError whose message says what to do.
 */

/** `unreachable`: no HTTP answer; `unauthorized`: token missing or wrong; `disabled`: the instance has no admin token configured. */
export type AdminClientErrorCode = 'unreachable' | 'unauthorized' | 'disabled' | 'not_found' | 'bad_request' | 'server_error';

export class AdminClientError extends Error {
  constructor(
    readonly code: AdminClientErrorCode,
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AdminClientError';
  }
}

export { filterQuery, type ReconcileOverview, type ReplayJob, type RelatedRow, type ShownEvent } from './wire.js';

export interface AdminClientOptions {
  /** Per-request deadline; default 30 s. */
  timeoutMs?: number;
  /** For tests or custom agents; default global fetch. */
  fetch?: typeof fetch;
}

export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  /** `baseUrl` is where `clerk-sync serve` answers (e.g. https://sync.example.com); a trailing path prefix is kept. */
  constructor(baseUrl: string, token: string, options: AdminClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new AdminClientError('bad_request', `--remote must be a URL like https://sync.example.com, got "${baseUrl}"`);
    }
    if (!token) throw new AdminClientError('unauthorized', 'no admin token: pass --token (the CLERK_SYNC_ADMIN_TOKEN of the remote instance)');
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.#token = token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** GET /api/admin/events: newest first, one page. */
  listEvents(filter: EventFilter = {}, page: PageOptions = {}): Promise<EventPage> {
    return this.#request('GET', `/api/admin/events?${filterQuery(filter, page)}`);
  }

  /** GET /api/admin/events/:id; AdminClientError `not_found` when no event has that svix-id. */
  showEvent(svixId: string): Promise<ShownEvent> {
    return this.#request('GET', `/api/admin/events/${encodeURIComponent(svixId)}`);
  }

  /**
   * POST /api/admin/events/:id/replay. With `waitMs`, the server waits (up to that long) for a
   * worker to process it and returns the final state.
   */
  async replayEvent(svixId: string, options: { waitMs?: number } = {}): Promise<EventSummary> {
    const r = await this.#request<{ event: EventSummary }>('POST', `/api/admin/events/${encodeURIComponent(svixId)}/replay`, options.waitMs ? { wait_ms: options.waitMs } : {});
    return r.event;
  }

  /** POST /api/admin/replay with dry_run: how many events a replay would touch. */
  async countMatching(filter: EventFilter): Promise<number> {
    const r = await this.#request<{ matched: number }>('POST', '/api/admin/replay', { filter, dry_run: true });
    return r.matched;
  }

  /** POST /api/admin/replay: starts a bulk replay; poll with replayJob(). */
  async startReplay(filter: EventFilter): Promise<ReplayJob> {
    return (await this.#request<{ job: ReplayJob }>('POST', '/api/admin/replay', { filter })).job;
  }

  /** GET /api/admin/replay/:job. */
  async replayJob(jobId: string): Promise<ReplayJob> {
    return (await this.#request<{ job: ReplayJob }>('GET', `/api/admin/replay/${encodeURIComponent(jobId)}`)).job;
  }

  /** Starts a bulk replay and polls it to the end, reporting progress. Throws if the job fails. */
  async replayMatching(filter: EventFilter, onProgress?: (job: ReplayJob) => void, pollMs = 250): Promise<ReplayJob> {
    let job = await this.startReplay(filter);
    onProgress?.(job);
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, pollMs));
      job = await this.replayJob(job.id);
      onProgress?.(job);
    }
    if (job.state === 'failed') throw new AdminClientError('server_error', `replay ${job.id} failed after ${job.requeued} of ${job.total} events: ${job.error}`);
    return job;
  }

  /** GET /api/admin/stats. */
  stats(options: { since?: number; bucket?: number } = {}): Promise<EventStats> {
    const q = new URLSearchParams();
    if (options.since !== undefined) q.set('since', String(options.since));
    if (options.bucket !== undefined) q.set('bucket', String(options.bucket));
    return this.#request('GET', `/api/admin/stats?${q}`);
  }

  /** GET /api/admin/reconcile: the reconcile runs, newest first (`limit` 1–200, default 50). */
  reconcileRuns(options: { limit?: number } = {}): Promise<ReconcileOverview> {
    return this.#request('GET', `/api/admin/reconcile${options.limit === undefined ? '' : `?limit=${options.limit}`}`);
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new AdminClientError('unreachable', `cannot reach clerk-sync at ${this.baseUrl} (${reason}); check the --remote URL and that \`clerk-sync serve\` runs there`, undefined, { cause: error });
    }
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {}
    if (res.ok && json !== null) return json as T;
    const serverMessage: string | undefined = json?.error?.message;
    const code: string | undefined = json?.error?.code;
    if (res.status === 401) throw new AdminClientError('unauthorized', `${this.baseUrl} refused the admin token (401): pass the CLERK_SYNC_ADMIN_TOKEN set on that instance with --token`, 401);
    if (res.status === 404 && code === 'admin_disabled') throw new AdminClientError('disabled', `the admin API of ${this.baseUrl} is off: ${serverMessage}`, 404);
    if (res.status === 404 && json?.error) throw new AdminClientError('not_found', serverMessage ?? `not found: ${path}`, 404);
    if (res.status === 404) throw new AdminClientError('not_found', `${url} answered 404 without a clerk-sync error: is --remote the address of \`clerk-sync serve\`?`, 404);
    if (res.status >= 400 && res.status < 500) throw new AdminClientError('bad_request', serverMessage ?? `${method} ${path} was refused (${res.status})`, res.status);
    if (res.ok) throw new AdminClientError('server_error', `${url} answered ${res.status} with a body that is not JSON: is --remote the address of \`clerk-sync serve\`?`, res.status);
    throw new AdminClientError('server_error', `${this.baseUrl} failed (${res.status}): ${serverMessage ?? (text.slice(0, 200) || 'no details')}`, res.status);
  }
}
