import type { ClerkWebhookEvent } from '../events/catalog.js';
import { parseEvent } from '../events/parse.js';
import { WebhookVerificationError } from './errors.js';
import { missingHeadersError, readHeader } from './headers.js';
import { hmacSha256Base64 } from './hmac.js';
import { parseSecrets } from './secret.js';
import type { WebhookHeaders, WebhookPayload } from './types.js';

export interface VerifyOptions {
  /** Accepted clock difference either way, in seconds. Default 300, as in every Svix library. */
  toleranceSeconds?: number;
  /** Current time in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

export interface VerifiedWebhook {
  /** The svix-id: the message id, the same on every retry. Deduplicate on it. */
  id: string;
  /** The svix-timestamp of this attempt, in seconds. */
  timestamp: number;
}

export interface Verifier {
  verify(payload: WebhookPayload, headers: WebhookHeaders): VerifiedWebhook;
  /**
   * The checks that need no body: the three headers present and well-formed, the timestamp within
   * tolerance. Throws as verify() would, so a request can be refused before its body is read.
   */
  checkHeaders(headers: WebhookHeaders): void;
}

/** A SHA-256 digest in base64 without its padding '=': 43 characters. */
const DIGEST_CHARS = 43;
const EQUALS = 61;
const SPACE = 32;
const COMMA = 44;

const REPARSED_HINT =
  'Most likely the body was parsed and re-serialized before verification (e.g. express.json(), ' +
  "Fastify's JSON parser, the Next.js Pages Router body parser, a relay): verify the raw request bytes " +
  'exactly as received (express.raw({ type: "application/json" }), await request.text(), ' +
  'bodyParser: false). Otherwise the signing secret is wrong: copy it from Clerk Dashboard → Webhooks → ' +
  'your endpoint → Signing Secret (each endpoint and each instance has its own).';

/** A plain decimal integer, or -1. Cheaper than a regex; rejects '1e9', ' 1', '+1', '0x1'. */
function parseTimestamp(value: string): number {
  if (value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

function checkTimestamp(timestamp: number, nowMs: number, tolerance: number): void {
  const skew = Math.floor(nowMs / 1000) - timestamp;
  if (skew > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `Webhook timestamp is ${skew} s older than this server's clock (tolerance ${tolerance} s). ` +
        'Svix signs every attempt with a fresh timestamp, so verify on receipt: a delivery stored and ' +
        'verified later (e.g. from a queue) cannot be verified. If this happens on fresh deliveries, ' +
        "check the server's clock (NTP).",
    );
  }
  // Written so that NaN (a broken `now` option) fails closed.
  if (!(skew >= -tolerance)) {
    throw new WebhookVerificationError(
      'timestamp_too_new',
      `Webhook timestamp is ${-skew} s ahead of this server's clock (tolerance ${tolerance} s). ` +
        "Check the server's clock (NTP): it is probably running behind.",
    );
  }
}

/**
 * True if `header[start, end)` is `expected` (base64 with its one padding '=') with or without
 * the '='. Compares every character whatever the first difference, so the time taken says
 * nothing about how much of a forged signature was right. A non-canonical or invalid encoding
 * of the right bytes does not match: Svix sends canonical base64.
 */
function equalsInConstantTime(header: string, start: number, end: number, expected: string): boolean {
  const length = end - start;
  if (length === DIGEST_CHARS + 1 ? header.charCodeAt(end - 1) !== EQUALS : length !== DIGEST_CHARS) return false;
  let difference = 0;
  for (let i = 0; i < DIGEST_CHARS; i++) difference |= header.charCodeAt(start + i) ^ expected.charCodeAt(i);
  return difference === 0;
}

/** True if any `v1,<base64>` entry of the space-separated header is the `expected` signature. */
function matchesAnyV1(header: string, expected: string): boolean {
  for (let start = 0, end = 0; start < header.length; start = end + 1) {
    end = header.indexOf(' ', start);
    if (end === -1) end = header.length;
    if (!header.startsWith('v1,', start)) continue; // v1a (ed25519), v2...: not ours
    // Duplicate headers joined by fetch with ", " leave a trailing comma on an entry.
    const stop = header.charCodeAt(end - 1) === COMMA ? end - 1 : end;
    if (equalsInConstantTime(header, start + 3, stop, expected)) return true;
  }
  return false;
}

function hasV1Entry(header: string): boolean {
  const at = header.indexOf('v1,');
  return at === 0 || (at > 0 && (header.charCodeAt(at - 1) === SPACE || header.includes(' v1,', at)));
}

export function createVerifier(secrets: string | readonly string[], options: VerifyOptions = {}): Verifier {
  const hmacs = parseSecrets(secrets).map((key) => hmacSha256Base64(key));
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Date.now;
  if (!(tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new RangeError(`toleranceSeconds must be a finite number >= 0, got ${tolerance}`);
  }

  function checkHeaders(headers: WebhookHeaders): { id: string; timestampHeader: string; timestamp: number; signature: string } {
    const id = readHeader(headers, 'svix-id', 'webhook-id');
    const timestampHeader = readHeader(headers, 'svix-timestamp', 'webhook-timestamp');
    const signature = readHeader(headers, 'svix-signature', 'webhook-signature');
    if (!id || !timestampHeader || !signature) throw missingHeadersError(id, timestampHeader, signature);

    const timestamp = parseTimestamp(timestampHeader);
    if (timestamp < 0) {
      throw new WebhookVerificationError(
        'invalid_headers',
        'Invalid svix-timestamp header: expected Unix seconds as a plain integer. ' +
          'Pass the request headers to the verifier unchanged.',
      );
    }
    checkTimestamp(timestamp, now(), tolerance);

    if (!hasV1Entry(signature)) {
      throw new WebhookVerificationError(
        'invalid_signature',
        'The svix-signature header has no "v1,<base64>" entry. Only HMAC-SHA256 (v1) ' +
          'signatures made with a whsec_ secret are supported, not asymmetric (v1a) ones.',
      );
    }
    return { id, timestampHeader, timestamp, signature };
  }

  function verify(payload: WebhookPayload, headers: WebhookHeaders): VerifiedWebhook {
    if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
      throw new TypeError(
        `Webhook payload must be the raw request body (string, Buffer or Uint8Array), got ${typeof payload}. ` +
          'A parsed body cannot be verified: read the raw bytes (express.raw(), await request.text()).',
      );
    }
    const { id, timestampHeader, timestamp, signature } = checkHeaders(headers);
    const prefix = `${id}.${timestampHeader}.`;
    for (let i = 0; i < hmacs.length; i++) {
      const expected = hmacs[i]!(prefix, payload);
      if (matchesAnyV1(signature, expected)) return { id, timestamp };
    }
    throw new WebhookVerificationError(
      'invalid_signature',
      `No signature in the svix-signature header matches this payload. ${REPARSED_HINT}`,
    );
  }

  return { verify, checkHeaders: (headers) => void checkHeaders(headers) };
}

/** Options of the Request form of verifyWebhook, as Clerk's verifyWebhook takes them. */
export interface VerifyRequestOptions extends VerifyOptions {
  /** `whsec_...` (several, space or comma separated, during a rotation). Default: $CLERK_WEBHOOK_SIGNING_SECRET. */
  signingSecret?: string;
}

/**
 * Verifies a webhook request and returns its event, typed: a drop-in for Clerk's own
 * `verifyWebhook(req)` (`@clerk/nextjs/webhooks`, `@clerk/backend/webhooks`), so switching is one
 * import line. Reads the raw body, checks the signature and timestamp, and throws a
 * WebhookVerificationError whose `code` says what was wrong (or an EventParseError for a signed
 * body that is no Clerk event). The secret comes from `signingSecret`, else
 * $CLERK_WEBHOOK_SIGNING_SECRET.
 *
 *   const evt = await verifyWebhook(req);
 *   if (evt.type === 'user.created') console.log(evt.data.id);
 */
export function verifyWebhook(request: Request, options?: VerifyRequestOptions): Promise<ClerkWebhookEvent>;
/** One-off verification of a body and its headers. On a hot path, create a verifier once with `createVerifier` instead. */
export function verifyWebhook(payload: WebhookPayload, headers: WebhookHeaders, secrets: string | readonly string[], options?: VerifyOptions): VerifiedWebhook;
export function verifyWebhook(
  payloadOrRequest: WebhookPayload | Request,
  headersOrOptions?: WebhookHeaders | VerifyRequestOptions,
  secrets?: string | readonly string[],
  options?: VerifyOptions,
): VerifiedWebhook | Promise<ClerkWebhookEvent> {
  if (isRequest(payloadOrRequest)) return verifyRequest(payloadOrRequest, (headersOrOptions ?? {}) as VerifyRequestOptions);
  return createVerifier(secrets!, options).verify(payloadOrRequest, headersOrOptions as WebhookHeaders);
}

export const SIGNING_SECRET_ENV = 'CLERK_WEBHOOK_SIGNING_SECRET';

async function verifyRequest(request: Request, options: VerifyRequestOptions): Promise<ClerkWebhookEvent> {
  const secret = options.signingSecret ?? process.env[SIGNING_SECRET_ENV];
  if (!secret || secret.trim() === '') {
    throw new WebhookVerificationError(
      'invalid_secret',
      `No webhook signing secret: set ${SIGNING_SECRET_ENV} or pass { signingSecret }. Find it in the Clerk Dashboard → Webhooks → your endpoint → Signing Secret (whsec_...).`,
    );
  }
  const verifier = createVerifier(secret, options);
  // The headers first: a request that fails them is refused without its body being read.
  verifier.checkHeaders(request.headers);
  const body = new Uint8Array(await request.arrayBuffer());
  verifier.verify(body, request.headers);
  const parsed = parseEvent(body);
  return parsed.event as ClerkWebhookEvent;
}

/** A Fetch Request (or Next's NextRequest), told apart from a body by its shape. */
function isRequest(value: unknown): value is Request {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && typeof (value as Request).arrayBuffer === 'function' && typeof (value as Request).headers?.get === 'function';
}
