import { signWebhook } from '../../verify/index.js';

export interface SendResult {
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  /** Why there was no answer: `timeout after 15s`, `connection refused`, ... */
  error: string | null;
  durationMs: number;
  /** The svix-timestamp this attempt was signed with. */
  timestamp: number;
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
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, error: null, durationMs: performance.now() - started, timestamp: signed.timestamp };
  } catch (error) {
    const name = (error as Error).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${options.timeoutMs} ms` : networkError(error);
    return { status: null, error: why, durationMs: performance.now() - started, timestamp: signed.timestamp };
  }
}

export const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;
