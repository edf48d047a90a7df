import { WebhookVerificationError } from './errors.js';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function invalid(detail: string): WebhookVerificationError {
  return new WebhookVerificationError(
    'invalid_secret',
    `Invalid webhook signing secret: ${detail}. Expected the "whsec_..." value from the Clerk Dashboard ` +
      '(Webhooks → your endpoint → Signing Secret), e.g. CLERK_WEBHOOK_SIGNING_SECRET=whsec_... ' +
      'Several secrets (during rotation) may be separated by spaces or commas.',
  );
}

/**
 * Decodes one or more signing secrets into HMAC keys. A string may hold several secrets
 * separated by spaces and/or commas (secret rotation). Each is `whsec_<base64>` or bare base64.
 */
export function parseSecrets(value: string | readonly string[]): Buffer[] {
  // JS callers may pass process.env.X unset; say so instead of crashing.
  const list: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const secrets = list
    .flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : []))
    .filter((s) => s !== '');
  if (secrets.length === 0) throw invalid('no secret given (empty or unset)');

  return secrets.map((secret, index) => {
    const which = secrets.length > 1 ? `secret #${index + 1}` : 'the secret';
    const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
    if (encoded === '') throw invalid(`${which} is empty after "whsec_"`);
    if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
      throw invalid(`${which} is not valid base64 (a truncated copy, or a whpk_/whsk_ key?)`);
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length === 0) throw invalid(`${which} decodes to an empty key`);
    return key;
  });
}
