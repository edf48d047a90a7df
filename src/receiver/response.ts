/** The receiver's answer, independent of any HTTP framework. */
export interface ReceiverResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): ReceiverResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}

/** Every rejection has this shape: a stable code to match on, and a message that says what to do. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): ReceiverResponse {
  return jsonResponse(status, { error: { code, message } }, headers);
}

export function toFetchResponse(r: ReceiverResponse): Response {
  return new Response(r.body, { status: r.status, headers: r.headers });
}
