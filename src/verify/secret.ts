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

/** The secrets in a value: one or more, separated by spaces and/or commas (secret rotation). */
function splitSecrets(value: string | readonly string[]): string[] {
  // JS callers may pass process.env.X unset; that is no secret, not a crash.
  const list: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return list.flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : [])).filter((s) => s !== '');
}

/**
 * What a value given as the signing secret is instead, recognised by its shape: the keys people
 * paste by mistake, and quotes copied from a .env file. Null when it may be a signing secret.
 */
export function misplacedSecret(secret: string): string | null {
  const s = secret.trim();
  if (/^["']|["']$/.test(s)) return 'the secret is wrapped in quotes: pass the whsec_... value without them';
  if (/^sk_(live|test)_/.test(s)) return 'this is a Clerk Secret Key (sk_...), used for the Backend API, not the webhook signing secret: copy the Signing Secret (whsec_...) from Clerk Dashboard → Webhooks → your endpoint';
  if (/^pk_(live|test)_/.test(s)) return 'this is a Clerk Publishable Key (pk_...), not the webhook signing secret (whsec_..., Clerk Dashboard → Webhooks → your endpoint → Signing Secret)';
  if (/^whpk_|^whsk_/.test(s)) return 'this is an asymmetric (ed25519) Svix key; Clerk signs with an HMAC secret, whsec_...';
  return null;
}

/**
 * A warning for secrets given without their `whsec_` prefix: accepted (bare base64 is valid), but
 * more often a truncated or wrong copy than a choice. Null when every secret has it.
 */
export function unprefixedSecretWarning(value: string | readonly string[]): string | null {
  const list = splitSecrets(value);
  const bare = list.filter((s) => !s.startsWith(PREFIX)).length;
  if (bare === 0) return null;
  return `${bare === list.length && bare === 1 ? 'the signing secret does' : `${bare} of ${list.length} signing secrets do`} not start with whsec_: accepted as base64, but check it is the endpoint's Signing Secret copied whole (Clerk Dashboard → Webhooks → your endpoint)`;
}

/**
 * Decodes one or more signing secrets into HMAC keys. A string may hold several secrets
 * separated by spaces and/or commas (secret rotation). Each is `whsec_<base64>` or bare base64.
 */
export function parseSecrets(value: string | readonly string[]): Buffer[] {
  const secrets = splitSecrets(value);
  if (secrets.length === 0) throw invalid('no secret given (empty or unset)');

  return secrets.map((secret, index) => {
    const which = secrets.length > 1 ? `secret #${index + 1}` : 'the secret';
    const misplaced = misplacedSecret(secret);
    if (misplaced) throw invalid(secrets.length > 1 ? `${which}: ${misplaced}` : misplaced);
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
