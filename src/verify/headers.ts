import { WebhookVerificationError } from './errors.js';
import type { WebhookHeaders } from './types.js';

type HeaderRecord = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined, name: string): string | undefined {
  if (!Array.isArray(value)) return value;
  // Node gives arrays for repeated headers: any signature may match; id and timestamp use the first.
  return name.endsWith('signature') ? value.join(' ') : value[0];
}

function findIgnoringCase(headers: HeaderRecord, name: string): string | undefined {
  for (const key of Object.keys(headers)) {
    if (key.length === name.length && key.toLowerCase() === name) return first(headers[key], name);
  }
  return undefined;
}

/**
 * One webhook header, by its Svix name or its Standard Webhooks name (svix-id / webhook-id...).
 * Empty means absent. Written to allocate nothing on the hot path (lower-case keys, as node gives).
 */
export function readHeader(headers: WebhookHeaders, svixName: string, standardName: string): string | undefined {
  if (typeof headers.get === 'function') {
    const h = headers as Headers;
    return h.get(svixName) || h.get(standardName) || undefined;
  }
  const record = headers as HeaderRecord;
  return (
    first(record[svixName], svixName) ||
    first(record[standardName], standardName) ||
    findIgnoringCase(record, svixName) ||
    findIgnoringCase(record, standardName) ||
    undefined
  );
}

export function missingHeadersError(id?: string, timestamp?: string, signature?: string): WebhookVerificationError {
  const missing = [!id && 'svix-id', !timestamp && 'svix-timestamp', !signature && 'svix-signature'].filter(Boolean);
  return new WebhookVerificationError(
    'missing_headers',
    `Missing webhook header(s): ${missing.join(', ')} (or their webhook-* equivalents). ` +
      'Clerk sends svix-id, svix-timestamp and svix-signature with every delivery: make sure the request ' +
      'comes from Clerk/Svix and that no proxy or framework strips these headers before verification.',
  );
}
