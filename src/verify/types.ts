/** The raw request body, exactly as received. Never a parsed-and-re-serialized object. */
export type WebhookPayload = string | Buffer | Uint8Array;

/** A Fetch `Headers`, or a plain object like node's `IncomingHttpHeaders` (any key case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;
