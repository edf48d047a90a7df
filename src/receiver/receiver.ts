import { EventParseError, parseEvent } from '../events/parse.js';
import type { InboxRecord } from '../inbox/record.js';
import { RowRefusedError, type InboxWriter, type WriteResult } from '../inbox/writer.js';
import { silentLogger, type Logger } from '../log.js';
import { storeProblem } from '../store/errors.js';
import { columnText, envelopeTimeMs } from '../events/content.js';
import { WebhookVerificationError, type Verifier, type WebhookHeaders } from '../verify/index.js';
import { readHeader } from '../verify/headers.js';
import { BodyBudget, DEFAULT_MAX_IN_FLIGHT_BODY_BYTES } from './body-budget.js';
import { BodyBudgetExceededError, BodyTooLargeError, readBodyLimited } from './read-body.js';
import { errorResponse, jsonResponse, toFetchResponse, type ReceiverResponse } from './response.js';

/** Where Clerk's docs put the webhook route, and where `serve` and the adapters mount it by default. */
export const DEFAULT_WEBHOOK_PATH = '/api/webhooks';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Seconds Svix (or any client) is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export interface IncomingWebhook {
  method: string;
  headers: WebhookHeaders;
  body: Uint8Array;
}

/** What the host offers one request; passed on to `afterStored`. */
export interface DeliveryContext {
  /** Keeps the function running after the answer until the promise settles (e.g. Netlify's `context.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface ReceiverOptions {
  verifier: Verifier;
  inbox: InboxWriter;
  maxBodyBytes?: number;
  logger?: Logger;
  /** Called for each rejection with its error code (metrics). */
  onRejected?: (code: string) => void;
  /** Called for each newly stored event (metrics). */
  onStored?: (type: string) => void;
  /** Most bytes of bodies read at once, across requests (default 64 MiB): past it, 503 busy. */
  maxInFlightBodyBytes?: number;
  /** Called for a delivery that reuses a stored svix-id with another body (metrics). */
  onConflictingDuplicate?: () => void;
  /**
   * Runs once a delivery is stored (or found stored already), before the answer goes out; it must
   * not throw. Where no worker runs between requests, this is where events get processed.
   */
  afterStored?: (context: DeliveryContext) => Promise<void> | void;
}

/** Headers kept with each event: what is needed to re-verify, replay and debug it. */
const KEPT_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent'];

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The webhook endpoint, free of any HTTP framework: verify the signature on the raw bytes, commit
 * the event to the inbox, and only then answer 2xx. Adapters translate to and from this.
 */
export class WebhookReceiver {
  readonly maxBodyBytes: number;
  /** Bytes of bodies being read at once, across requests: adapters that read bodies themselves take from it too. */
  readonly bodyBudget: BodyBudget;
  readonly #opts: ReceiverOptions;
  readonly #log: Logger;

  constructor(options: ReceiverOptions) {
    this.#opts = options;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.bodyBudget = new BodyBudget(options.maxInFlightBodyBytes ?? DEFAULT_MAX_IN_FLIGHT_BODY_BYTES);
    this.#log = options.logger ?? silentLogger;
  }

  /** Fetch API entry point: Request in, Response out. */
  async handle(request: Request, context: DeliveryContext = {}): Promise<Response> {
    const early = this.precheck(request.method, request.headers);
    if (early) return toFetchResponse(early);
    let body: Uint8Array;
    try {
      body = await readBodyLimited(request.body, this.maxBodyBytes, this.bodyBudget);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return toFetchResponse(this.tooLarge());
      if (error instanceof BodyBudgetExceededError) return toFetchResponse(this.busy());
      return toFetchResponse(this.#reject(400, 'unreadable_body', `could not read the request body (${error instanceof Error ? error.message : String(error)}); resend the request`));
    }
    return toFetchResponse(await this.receive({ method: request.method, headers: request.headers, body }, context));
  }

  /**
   * What can be refused before the body is read, so that no body is buffered for it: another
   * method than POST, a declared length over the limit, svix headers missing, malformed or
   * outside the timestamp tolerance. Null: read the body, then receive().
   */
  precheck(method: string, headers: WebhookHeaders): ReceiverResponse | null {
    if (method !== 'POST') return this.#methodNotAllowed(method);
    const declared = Number(readHeader(headers, 'content-length', 'content-length') ?? 0);
    if (declared > this.maxBodyBytes) return this.tooLarge();
    try {
      this.#opts.verifier.checkHeaders(headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return this.#reject(error.status, error.code, error.message, { svixId: readHeader(headers, 'svix-id', 'webhook-id') });
      throw error;
    }
    return null;
  }

  /** 503 while too many bodies are being read at once (see BodyBudget); Svix retries. */
  busy(): ReceiverResponse {
    return this.#reject(503, 'busy', `too many deliveries are being received at once (over ${this.bodyBudget.maxBytes} bytes of bodies in flight); retry in a moment (Svix does this automatically)`, {
      headers: { 'retry-after': '1' },
    });
  }

  async receive(req: IncomingWebhook, context: DeliveryContext = {}): Promise<ReceiverResponse> {
    if (req.method !== 'POST') return this.#methodNotAllowed(req.method);
    if (req.body.byteLength > this.maxBodyBytes) return this.tooLarge();

    let verified;
    try {
      verified = this.#opts.verifier.verify(req.body, req.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return this.#reject(error.status, error.code, error.message, { svixId: readHeader(req.headers, 'svix-id', 'webhook-id') });
      throw error;
    }
    if (verified.id.length > 256) return this.#reject(400, 'invalid_headers', 'the svix-id header is longer than 256 characters; Svix message ids are short (msg_...)');

    let text: string;
    let parsed;
    try {
      text = utf8.decode(req.body);
      parsed = parseEvent(text);
    } catch (error) {
      if (error instanceof EventParseError) return this.#reject(400, error.code, withAdvice(error), { svixId: verified.id });
      return this.#reject(400, 'invalid_json', 'the body is not valid UTF-8; Clerk always sends UTF-8 JSON, so something between Clerk and this endpoint changed it', { svixId: verified.id });
    }

    const { event } = parsed;
    const data = event.data as { id?: unknown };
    // The columns derived from the body pass the content policy; the body itself is kept as sent.
    const record: InboxRecord = {
      svixId: verified.id,
      type: columnText(event.type),
      status: parsed.known ? 'pending' : 'skipped',
      eventTimestamp: envelopeTimeMs(event.timestamp),
      instanceId: typeof event.instance_id === 'string' ? columnText(event.instance_id) : null,
      entityId: typeof data.id === 'string' ? columnText(data.id) : null,
      headers: pickHeaders(req.headers),
      body: text,
      receivedAt: Date.now(),
    };
    let written: WriteResult;
    try {
      written = await this.#opts.inbox.write(record);
    } catch (error) {
      if (error instanceof RowRefusedError) {
        this.#log.warn('the database refused this event, which nothing in a retry will change; answered 400', { svix_id: record.svixId, error: error.message });
        return this.#reject(400, 'unstorable_event', `the database refused to store this event (${error.message}); it is correctly signed, but something in it cannot be stored. Other events are not affected; report it with its svix-id`, { svixId: record.svixId });
      }
      this.#log.error('could not store event; answered 503 so Svix retries it', { svix_id: record.svixId, type: record.type, error: error instanceof Error ? error.message : String(error) });
      return this.#reject(503, 'store_unavailable', `the event could not be stored: ${storeProblem(error)}. It was not accepted; retry after ${RETRY_AFTER_SECONDS} s (Svix does this automatically)`, {
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        svixId: record.svixId,
      });
    }
    const { duplicate, conflicting } = written;
    if (!duplicate) this.#opts.onStored?.(record.type);
    if (conflicting) {
      this.#log.warn('a delivery reused a stored svix-id with a different body: kept the first, dropped this one', { svix_id: record.svixId, type: record.type });
      this.#opts.onConflictingDuplicate?.();
    }
    await this.#opts.afterStored?.(context);
    return jsonResponse(200, duplicate ? { received: true, duplicate: true } : { received: true });
  }

  tooLarge(): ReceiverResponse {
    return this.#reject(413, 'payload_too_large', `the body is larger than the ${this.maxBodyBytes}-byte limit; raise it with --max-body-bytes if your events are really this large`);
  }

  #methodNotAllowed(method: string): ReceiverResponse {
    return this.#reject(405, 'method_not_allowed', `${method} is not supported here; Clerk delivers webhooks with POST`, { headers: { allow: 'POST' } });
  }

  /** `svixId`: the delivery's, when its headers say it, so the log line can be matched to Svix's. */
  #reject(status: number, code: string, message: string, { headers = {}, svixId }: { headers?: Record<string, string>; svixId?: string | null } = {}): ReceiverResponse {
    this.#opts.onRejected?.(code);
    if (status !== 503) this.#log.info('webhook rejected', { status, code, svix_id: svixId?.slice(0, 256) ?? null, message });
    return errorResponse(status, code, message, headers);
  }
}

/** Parse errors of a correctly signed body: say what the operator can do about it. */
function withAdvice(error: EventParseError): string {
  if (error.code !== 'invalid_event' || error.message.includes(' — ')) return error.message;
  return `${error.message} — the body is signed with your secret but is not a Clerk webhook event; check what else sends requests to this endpoint with it`;
}

function pickHeaders(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  // Duck-typed, as readHeader is: on node's plain header object, touching the global `Headers`
  // loads the fetch implementation, a 35 ms stall on the first request.
  const fetchHeaders = typeof headers.get === 'function' ? (headers as Headers) : null;
  for (const name of KEPT_HEADERS) {
    const v = fetchHeaders ? fetchHeaders.get(name) : (headers as Record<string, string | string[] | undefined>)[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
