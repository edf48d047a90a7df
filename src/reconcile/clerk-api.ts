import { createHash } from 'node:crypto';

export const DEFAULT_CLERK_API_URL = 'https://api.clerk.com/v1';

/** Clerk answered with an error, or never answered; the message says what to do. */
export class ClerkApiError extends Error {
  readonly status: number | null;
  readonly code: string | null;
  constructor(message: string, status: number | null, code: string | null) {
    super(message);
    this.name = 'ClerkApiError';
    this.status = status;
    this.code = code;
  }
}

export interface ClerkApiOptions {
  /** e.g. https://api.clerk.com/v1 */
  apiUrl: string;
  /** CLERK_SECRET_KEY, sk_live_... or sk_test_... */
  secretKey: string;
  userAgent?: string;
  /** Called when Clerk rate-limits us, before waiting `waitMs`. */
  onRateLimited?: (waitMs: number) => void;
  /** Called before retrying a 5xx or network failure. */
  onRetry?: (error: string, waitMs: number) => void;
  /** Attempts for a 5xx or network failure before giving up (429s are always waited out). */
  maxAttempts?: number;
  /** Backoff unit for 5xx/network retries; default 1000 ms. */
  retryBaseMs?: number;
}

export interface ListPage {
  items: Record<string, unknown>[];
  /** `total_count` for the paginated endpoints; null for /users, which returns a bare array. */
  totalCount: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After is seconds or an HTTP date; missing or unreadable: 1 s. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (!value) return 1000;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
}

/** Clerk's error bodies: {"errors": [{"message", "long_message", "code"}], "clerk_trace_id"}. */
function describeError(status: number, body: string): { message: string; code: string | null } {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message?: string; long_message?: string; code?: string }> };
    const e = parsed.errors?.[0];
    if (e) return { message: e.long_message || e.message || `HTTP ${status}`, code: e.code ?? null };
  } catch {}
  return { message: `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`, code: null };
}

/** A fingerprint of the key that identifies the instance in stored progress without storing the key. */
export function keyFingerprint(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex').slice(0, 12);
}

/** Ties stored progress to one Clerk instance: the API URL and a fingerprint of the key. */
export function sourceOf(apiUrl: string, secretKey: string): string {
  return `${apiUrl.replace(/\/+$/, '')}#${keyFingerprint(secretKey)}`;
}

/** The reads of Clerk's Backend API that reconcile and backfill need, with its rate limiting honoured. */
export class ClerkApi {
  readonly #o: Required<Pick<ClerkApiOptions, 'maxAttempts' | 'retryBaseMs'>> & ClerkApiOptions;

  constructor(options: ClerkApiOptions) {
    this.#o = { maxAttempts: 4, retryBaseMs: 1000, ...options, apiUrl: options.apiUrl.replace(/\/+$/, '') };
  }

  /** GET a path (e.g. `/users?limit=500`); waits out 429s (Retry-After) and retries 5xx and network errors. */
  async get(path: string): Promise<unknown> {
    const url = `${this.#o.apiUrl}${path}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization: `Bearer ${this.#o.secretKey}`, accept: 'application/json', 'user-agent': this.#o.userAgent ?? 'clerk-sync' } });
      } catch (error) {
        const why = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        if (attempt >= this.#o.maxAttempts) throw new ClerkApiError(`cannot reach ${this.#o.apiUrl} (${why}); check --api-url and the network, then run the same command again to resume`, null, null);
        const wait = this.#o.retryBaseMs * 2 ** (attempt - 1);
        this.#o.onRetry?.(why, wait);
        await sleep(wait);
        continue;
      }
      const body = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(body);
        } catch {
          throw new ClerkApiError(`GET ${path} answered ${res.status} with a body that is not JSON; is --api-url (${this.#o.apiUrl}) Clerk's Backend API?`, res.status, null);
        }
      }
      if (res.status === 429) {
        const wait = retryAfterMs(res.headers.get('retry-after'));
        this.#o.onRateLimited?.(wait);
        await sleep(wait);
        attempt--; // rate limiting is not a failure: wait as long as Clerk asks
        continue;
      }
      const { message, code } = describeError(res.status, body);
      if (res.status >= 500 && attempt < this.#o.maxAttempts) {
        const wait = this.#o.retryBaseMs * 2 ** (attempt - 1);
        this.#o.onRetry?.(`HTTP ${res.status}`, wait);
        await sleep(wait);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new ClerkApiError(`Clerk rejected the secret key (${res.status}${code ? ` ${code}` : ''}: ${message}). Set CLERK_SECRET_KEY (or --secret-key) to the instance's Secret Key from Clerk Dashboard → API keys (sk_live_... or sk_test_...).`, res.status, code);
      }
      throw new ClerkApiError(`GET ${path} failed with ${res.status}${code ? ` ${code}` : ''}: ${message}`, res.status, code);
    }
  }

  /**
   * One page of a list endpoint: bare arrays (/users) and {data, total_count} both. Oldest first
   * where the endpoint takes `order_by` (`ordered`), so objects created meanwhile land at the end;
   * after the object `startingAfter` where the endpoint takes a cursor.
   */
  async list(path: string, limit: number, offset: number, { ordered = true, startingAfter }: { ordered?: boolean; startingAfter?: string } = {}): Promise<ListPage> {
    const sep = path.includes('?') ? '&' : '?';
    // A cursor (`starting_after`, /users) replaces the offset: Clerk refuses both together.
    const position = startingAfter === undefined ? `offset=${offset}` : `starting_after=${encodeURIComponent(startingAfter)}`;
    const body = await this.get(`${path}${sep}limit=${limit}&${position}${ordered ? '&order_by=%2Bcreated_at' : ''}`);
    if (Array.isArray(body)) return { items: body as Record<string, unknown>[], totalCount: null };
    const page = body as { data?: unknown; total_count?: unknown };
    if (page && Array.isArray(page.data)) return { items: page.data as Record<string, unknown>[], totalCount: typeof page.total_count === 'number' ? page.total_count : null };
    throw new ClerkApiError(`GET ${path} answered neither a list nor {data, total_count}; is --api-url Clerk's Backend API?`, 200, null);
  }

  /** The instance id (ins_...) that webhooks carry as instance_id; null when the key may not read it. */
  async instanceId(): Promise<string | null> {
    try {
      const body = (await this.get('/instance')) as { id?: unknown };
      return typeof body?.id === 'string' ? body.id : null;
    } catch (error) {
      if (error instanceof ClerkApiError && (error.status === 404 || error.status === 403)) return null;
      throw error;
    }
  }
}
