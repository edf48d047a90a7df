/** Small Fetch API helpers shared by the admin API, the dashboard and the health/metrics routes. */
import { errorResponse, jsonResponse, toFetchResponse } from '../receiver/response.js';

/** An answer the client caused: rendered as `{"error":{"code","message"}}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Admin answers are never cached, framed, or sniffed. */
export const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return toFetchResponse(jsonResponse(status, value, { ...SECURITY_HEADERS, ...headers }));
}

/** The same error shape as the webhook endpoint's (errorResponse). */
export function errorJson(error: HttpError): Response {
  return toFetchResponse(errorResponse(error.status, error.code, error.message, { ...SECURITY_HEADERS, ...error.headers }));
}

const MAX_JSON_BYTES = 64 * 1024;

/** The JSON object body of a request; `{}` when empty and `optional`. */
export async function readJson(request: Request, optional: boolean): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.length > MAX_JSON_BYTES) throw new HttpError(413, 'payload_too_large', `request body over ${MAX_JSON_BYTES} bytes`);
  if (text.trim() === '') {
    if (optional) return {};
    throw new HttpError(400, 'bad_request', 'expected a JSON object body');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'bad_request', 'expected a JSON object body');
  return value as Record<string, unknown>;
}
