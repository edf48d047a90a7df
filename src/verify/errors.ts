export type VerificationErrorCode =
  | 'missing_headers'
  | 'invalid_headers'
  | 'invalid_signature'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_secret';

// 400: the request itself is malformed. 401: it is well-formed but not authentic.
// invalid_secret is our own misconfiguration; 401 because we cannot authenticate anything.
const STATUS: Record<VerificationErrorCode, 400 | 401> = {
  missing_headers: 400,
  invalid_headers: 400,
  invalid_signature: 401,
  timestamp_too_old: 401,
  timestamp_too_new: 401,
  invalid_secret: 401,
};

/** Thrown by every verification failure. Messages never contain the secret. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly code: VerificationErrorCode;
  readonly status: 400 | 401;

  constructor(code: VerificationErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
  }
}
