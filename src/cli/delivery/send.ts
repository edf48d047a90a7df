import { signWebhook } from '../../verify/index.js';

export interface SendResult {
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  /** Why there was no answer: `timeout after 15s`, `connection refused`, ... */
  error: string | null;
  durationMs: number;
  /** The svix-timestamp this attempt was signed with. */
  timestamp: number;
  /** A rejection's `{ error: { code, message } }` (clerk-sync's, and any endpoint answering that shape), else null. */
  rejection: { code: string; message: string } | null;
  /** The endpoint answered 2xx with `duplicate: true`: it already had this svix-id and changed nothing. */
  duplicate: boolean;
}

export interface SendOptions {
  url: string;
  /** Signs with this secret (several, space/comma separated: one signature per secret, as Svix does during rotation). */
  secret: string;
  /** The svix-id: keep it across retries and duplicates of one message. */
  id: string;
  timeoutMs: number;
  /** Extra headers, e.g. user-agent. */
  headers?: Record<string, string>;
}

/** Why fetch failed, in words (Node puts the system error in `cause`). */
export function networkError(error: unknown): string {
  const e = error as Error & { cause?: Error & { code?: string } };
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup failed (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return e.cause?.message ?? e.message;
}

/**
 * One delivery attempt the way Svix makes it: signed now (fresh svix-timestamp and signature on
 * every attempt, same svix-id), POSTed as JSON, redirects not followed, bounded by the timeout.
 */
export async function sendSigned(body: string, options: SendOptions): Promise<SendResult> {
  const signed = signWebhook(body, options.secret, { id: options.id });
  const started = performance.now();
  try {
    const res = await fetch(options.url, {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json', ...options.headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const answer = await res.text().then(parseAnswer, () => null);
    const rejection = !isSuccess(res.status) && typeof answer?.error?.code === 'string' ? { code: answer.error.code, message: String(answer.error.message ?? '') } : null;
    return { status: res.status, error: null, durationMs: performance.now() - started, timestamp: signed.timestamp, rejection, duplicate: isSuccess(res.status) && answer?.duplicate === true };
  } catch (error) {
    const name = (error as Error).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${options.timeoutMs} ms` : networkError(error);
    return { status: null, error: why, durationMs: performance.now() - started, timestamp: signed.timestamp, rejection: null, duplicate: false };
  }
}

export const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/** A JSON answer's fields we read, or null when it is not JSON (any endpoint may answer anything). */
function parseAnswer(text: string): { error?: { code?: unknown; message?: unknown }; duplicate?: unknown } | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** An attempt's answer in words: `401 invalid_signature: <message>`, `200 duplicate`, `unreachable (…)`. */
export function describeAnswer(r: SendResult): string {
  if (r.status === null) return `unreachable (${r.error})`;
  if (r.rejection) return `${r.status} ${r.rejection.code}: ${r.rejection.message}`;
  return r.duplicate ? `${r.status} duplicate (already stored there; changed nothing)` : String(r.status);
}
