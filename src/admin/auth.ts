import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../same-secret.js';

export const ADMIN_TOKEN_ENV = 'CLERK_SYNC_ADMIN_TOKEN';
export const SESSION_COOKIE = 'clerk_sync_session';
export const CSRF_HEADER = 'x-csrf-token';
const SESSION_TTL_MS = 12 * 3600_000;
const MIN_TOKEN_LENGTH = 16;
/** A random token of 16+ characters has far more; `aaaaaaaaaaaaaaaa` or `abababab...` has 1 or 2. */
const MIN_DISTINCT_CHARACTERS = 8;

/** Who made an authenticated request: the API (bearer token) or a dashboard session (cookie). */
export type Principal = { kind: 'api' } | { kind: 'dashboard'; csrf: string; session: SessionId };

/** A dashboard session: its nonce and when it expires anyway (ms). */
export interface SessionId {
  nonce: string;
  expiresAt: number;
}

/** Sessions ended by a logout before they expire: they must not work again, on any instance. */
export interface EndedSessions {
  has(nonce: string): Promise<boolean>;
  add(session: SessionId): Promise<void>;
}

export { sameSecret } from '../same-secret.js';

/** Rejects tokens too short or too repetitive to resist guessing, with the fix. */
export function checkAdminToken(token: string, env = ADMIN_TOKEN_ENV): string {
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH) throw new Error(`${env} is too short (${t.length} characters); use at least ${MIN_TOKEN_LENGTH} random characters, e.g. \`openssl rand -hex 32\``);
  const distinct = new Set(t).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) {
    throw new Error(`${env} is not random enough (${distinct} distinct characters in ${t.length}); use a random token, e.g. \`openssl rand -hex 32\``);
  }
  return t;
}

/**
 * The admin token guards everything. Dashboard sessions are stateless signed cookies (so they
 * work across several `serve` instances and end when the token is rotated); each carries a nonce
 * from which its CSRF token is derived.
 */
export class AdminAuth {
  readonly #token: string;
  readonly #key: Buffer;
  readonly #ended: EndedSessions;

  constructor(token: string, ended: EndedSessions) {
    this.#token = checkAdminToken(token);
    this.#ended = ended;
    this.#key = createHash('sha256').update(`clerk-sync session key\0${this.#token}`).digest();
  }

  tokenMatches(candidate: string): boolean {
    return sameSecret(candidate, this.#token);
  }

  /** The bearer token or session cookie of a request, verified (a session also not logged out); null when neither is valid. */
  async authenticate(request: Request, now = Date.now()): Promise<Principal | null> {
    const header = request.headers.get('authorization');
    if (header) {
      const m = /^Bearer\s+(.+)$/i.exec(header.trim());
      return m && this.tokenMatches(m[1]!.trim()) ? { kind: 'api' } : null;
    }
    const session = this.#session(readCookie(request, SESSION_COOKIE), now);
    if (!session || (await this.#ended.has(session.id.nonce))) return null;
    return { kind: 'dashboard', csrf: session.csrf, session: session.id };
  }

  /** Ends a session for good, server-side: a copy of its cookie no longer works. */
  endSession(session: SessionId): Promise<void> {
    return this.#ended.add(session);
  }

  /** A new session: the Set-Cookie header value and its CSRF token. */
  newSession(request: Request, now = Date.now()): { setCookie: string; csrf: string } {
    const expires = now + SESSION_TTL_MS;
    const nonce = randomBytes(18).toString('base64url');
    const value = `v1.${expires}.${nonce}.${this.#mac(`${expires}.${nonce}`)}`;
    return { setCookie: sessionCookie(value, isHttps(request), SESSION_TTL_MS / 1000), csrf: this.#mac(`csrf.${nonce}`) };
  }

  /** Set-Cookie value that ends the session in the browser. */
  static clearCookie(request: Request): string {
    return sessionCookie('', isHttps(request), 0);
  }

  #session(value: string | null, now: number): { csrf: string; id: SessionId } | null {
    if (!value) return null;
    const m = /^v1\.(\d+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(value);
    if (!m) return null;
    const [, expires, nonce, mac] = m;
    if (!sameSecret(mac!, this.#mac(`${expires}.${nonce}`)) || Number(expires) <= now) return null;
    return { csrf: this.#mac(`csrf.${nonce}`), id: { nonce: nonce!, expiresAt: Number(expires) } };
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#key).update(data).digest('base64url');
  }
}

/**
 * Cookie sessions must prove a state-changing request comes from the dashboard itself: the
 * session's CSRF token in a header (or form field), and no cross-site Origin / Sec-Fetch-Site.
 * SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock.
 */
export function csrfProblem(request: Request, expectedCsrf: string | null, formToken?: string | null): string | null {
  const site = request.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return `cross-site request (sec-fetch-site: ${site})`;
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'malformed Origin header';
    }
    const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? new URL(request.url).host;
    if (originHost !== host) return `Origin ${origin} is not this site (${host})`;
  } else if (origin === 'null') {
    return 'opaque Origin';
  }
  if (expectedCsrf === null) return null;
  const given = request.headers.get(CSRF_HEADER) ?? formToken ?? '';
  if (!given || !sameSecret(given, expectedCsrf)) return 'missing or wrong CSRF token; reload the dashboard page';
  return null;
}

export function isHttps(request: Request): boolean {
  const forwarded = request.headers.get('x-forwarded-proto');
  if (forwarded) return forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
  return new URL(request.url).protocol === 'https:';
}

function sessionCookie(value: string, secure: boolean, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
