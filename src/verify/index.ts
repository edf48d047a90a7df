export { WebhookVerificationError } from './errors.js';
export type { VerificationErrorCode } from './errors.js';
export { parseSecrets } from './secret.js';
export { createVerifier, verifyWebhook, SIGNING_SECRET_ENV } from './verify.js';
export type { Verifier, VerifiedWebhook, VerifyOptions, VerifyRequestOptions } from './verify.js';
export { signWebhook } from './sign.js';
export type { SignedWebhook } from './sign.js';
export type { WebhookHeaders, WebhookPayload } from './types.js';
