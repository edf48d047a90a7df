import { timingSafeEqual } from 'node:crypto';
import { svixSignature } from '../../verify/hmac.js';
import { parseSecrets, WebhookVerificationError } from '../../verify/index.js';
import { misplacedSecret } from '../../verify/secret.js';

/** 0 verifies; 1 does not verify; 2 the secret itself is unusable; 3 signature right, timestamp outside the tolerance. */
export type VerifyExitCode = 0 | 1 | 2 | 3;

export interface Finding {
  ok: boolean;
  /** What was checked and what was found, in a sentence. */
  message: string;
}

export interface Diagnosis {
  exitCode: VerifyExitCode;
  /** The conclusion, in a sentence or two, with what to do. */
  verdict: string;
  findings: Finding[];
}

export interface DiagnoseInput {
  secret: string;
  headers: Record<string, string>;
  body: Buffer;
  /** ms; the moment to judge the timestamp against (default now). */
  now?: number;
  toleranceSeconds?: number;
}

function sign(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return Buffer.from(svixSignature(key, id, timestamp, body), 'base64');
}

function entries(header: string): Array<{ version: string; value: string }> {
  return header.split(' ').filter(Boolean).map((e) => {
    const comma = e.indexOf(',');
    return comma < 0 ? { version: '', value: e } : { version: e.slice(0, comma), value: e.slice(comma + 1).replace(/,$/, '') };
  });
}

function matches(sigs: Array<{ version: string; value: string }>, expected: Buffer): boolean {
  return sigs.some((s) => {
    if (s.version !== 'v1') return false;
    const got = Buffer.from(s.value, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

function humanSeconds(s: number): string {
  const a = Math.abs(s);
  if (a < 120) return `${a} s`;
  if (a < 7200) return `${Math.round(a / 60)} min`;
  if (a < 172800) return `${(a / 3600).toFixed(1)} h`;
  return `${(a / 86400).toFixed(1)} days`;
}

/** Other forms of the body that a capture or a framework commonly turns the signed bytes into. */
function bodyVariants(body: Buffer): Array<{ what: string; bytes: Buffer }> {
  const text = body.toString('utf8');
  const out: Array<{ what: string; bytes: Buffer }> = [];
  const add = (what: string, t: string) => {
    if (t !== text && !out.some((o) => o.bytes.toString('utf8') === t)) out.push({ what, bytes: Buffer.from(t, 'utf8') });
  };
  add('without the trailing newline (an editor or `echo` added it when the body was saved)', text.replace(/\r?\n+$/, ''));
  add('with LF line endings instead of CRLF', text.replace(/\r\n/g, '\n'));
  try {
    add('in compact JSON form: the body was parsed and re-serialized (pretty-printed) after it arrived', JSON.stringify(JSON.parse(text)));
  } catch {}
  return out;
}

/**
 * Verifies a captured delivery and says exactly why it fails: a missing header, a malformed
 * timestamp or signature, the body changed after signing (and how), or a wrong secret.
 */
export function diagnoseDelivery(input: DiagnoseInput): Diagnosis {
  const findings: Finding[] = [];
  const tolerance = input.toleranceSeconds ?? 300;
  const now = input.now ?? Date.now();
  const result = (exitCode: VerifyExitCode, verdict: string): Diagnosis => ({ exitCode, verdict, findings });

  const misplaced = misplacedSecret(input.secret);
  if (misplaced) {
    findings.push({ ok: false, message: `secret: ${misplaced}` });
    return result(2, `Wrong secret format: ${misplaced}.`);
  }
  let keys: Buffer[];
  try {
    keys = parseSecrets(input.secret);
  } catch (error) {
    const message = error instanceof WebhookVerificationError ? error.message : String(error);
    findings.push({ ok: false, message: `secret: ${message}` });
    return result(2, message);
  }
  findings.push({ ok: true, message: `secret: ${keys.length === 1 ? 'a well-formed signing secret' : `${keys.length} well-formed signing secrets (rotation)`}` });

  const h = input.headers;
  const id = h['svix-id'] ?? h['webhook-id'];
  const timestamp = h['svix-timestamp'] ?? h['webhook-timestamp'];
  const signature = h['svix-signature'] ?? h['webhook-signature'];
  const missing = [!id && 'svix-id', !timestamp && 'svix-timestamp', !signature && 'svix-signature'].filter(Boolean) as string[];
  if (missing.length) {
    const similar = Object.keys(h).filter((k) => /svix|webhook|signature/.test(k));
    findings.push({ ok: false, message: `headers: missing ${missing.join(', ')} (nor the webhook-* equivalents)${similar.length ? `; present: ${similar.join(', ')}` : ''}` });
    return result(1, `Missing header${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: Clerk (Svix) sends svix-id, svix-timestamp and svix-signature with every delivery. Capture the headers as received, before any proxy or framework strips them.`);
  }
  findings.push({ ok: true, message: `headers: svix-id ${id}, svix-timestamp ${timestamp}` });

  if (!/^\d{1,15}$/.test(timestamp!)) {
    findings.push({ ok: false, message: `svix-timestamp "${timestamp}" is not Unix seconds as a plain integer` });
    return result(1, 'The svix-timestamp header is malformed; pass the headers unchanged.');
  }
  const ts = Number(timestamp);
  if (ts > 1e11) {
    findings.push({ ok: false, message: `svix-timestamp ${timestamp} looks like milliseconds; Svix sends seconds` });
  }
  const age = Math.floor(now / 1000) - ts;
  const inTolerance = Math.abs(age) <= tolerance;
  const when = new Date(ts * 1000).toISOString();
  findings.push({
    ok: inTolerance,
    message: inTolerance
      ? `timestamp: ${when}, ${humanSeconds(age)} ${age >= 0 ? 'ago' : 'ahead'}, within the ${tolerance} s tolerance`
      : `timestamp: ${when} is ${humanSeconds(age)} ${age >= 0 ? 'older than now' : 'ahead of now'}, outside the ${tolerance} s tolerance by ${humanSeconds(Math.abs(age) - tolerance)}`,
  });

  const sigs = entries(signature!);
  const v1 = sigs.filter((s) => s.version === 'v1');
  const malformed = v1.filter((s) => !/^[A-Za-z0-9+/]{43}=?$/.test(s.value));
  if (v1.length === 0) {
    const versions = [...new Set(sigs.map((s) => s.version || '(none)'))].join(', ');
    findings.push({ ok: false, message: `svix-signature has no "v1,<base64>" entry (found: ${versions})` });
    return result(1, 'The svix-signature header has no v1 (HMAC-SHA256) signature; Clerk sends "v1,<base64>" entries separated by spaces. Pass the header unchanged.');
  }
  if (malformed.length) findings.push({ ok: false, message: `svix-signature: ${malformed.length} v1 entr${malformed.length > 1 ? 'ies are' : 'y is'} not 32 bytes of base64 (truncated when copied?)` });

  const keyIndex = keys.findIndex((k) => matches(sigs, sign(k, id!, timestamp!, input.body)));
  if (keyIndex >= 0) {
    findings.push({ ok: true, message: `signature: matches${keys.length > 1 ? ` secret #${keyIndex + 1}` : ''} over the body as given (${input.body.length} bytes)` });
    if (inTolerance) return result(0, 'Verifies: the signature matches and the timestamp is within the tolerance.');
    return result(3,
      `The signature is right, but the timestamp is ${humanSeconds(age)} ${age >= 0 ? 'old' : 'in the future'}: an endpoint checking it now rejects the delivery (${age >= 0 ? 'timestamp_too_old' : 'timestamp_too_new'}). ` +
        'Svix signs every attempt afresh, so verify on receipt, never later from a queue; if this failed on receipt, the receiving server\'s clock is off (check NTP). Pass --at <time of receipt> to judge it as of then.');
  }

  for (const variant of bodyVariants(input.body)) {
    if (keys.some((k) => matches(sigs, sign(k, id!, timestamp!, variant.bytes)))) {
      findings.push({ ok: false, message: `signature: does not match the body as given, but matches it ${variant.what}` });
      return result(1, `The body was changed after it was signed: it verifies ${variant.what}. Verify the raw request bytes exactly as received (express.raw({ type: "application/json" }), await request.text(), bodyParser: false), and capture them unchanged.`);
    }
  }

  const text = input.body.toString('utf8');
  let compact: string | null = null;
  try {
    compact = JSON.stringify(JSON.parse(text));
  } catch {}
  let verdict: string;
  if (compact === null) {
    findings.push({ ok: false, message: 'body: not valid JSON; Clerk always sends a JSON object (was the file captured whole, and as UTF-8?)' });
    verdict = 'No signature matches, and the body is not JSON: it is not the body Clerk sent (truncated, re-encoded, or another request\'s), or the secret is wrong.';
  } else if (compact !== text.replace(/\r?\n+$/, '')) {
    findings.push({ ok: false, message: 'body: valid JSON, but not in compact form (it has indentation or spaces Svix does not send): it looks re-serialized' });
    verdict = 'No signature matches. The body looks parsed and re-serialized (e.g. express.json(), a pretty-printing logger, Next.js Pages Router body parser), in a way that cannot be undone here; verify the raw bytes as received. If the body is as received, the secret is wrong.';
  } else {
    findings.push({ ok: true, message: 'body: compact JSON, as Svix sends it; nothing suggests it was re-serialized' });
    verdict = 'No signature matches, and the body looks as Clerk sends it: most likely the secret is wrong. Each endpoint has its own signing secret, and Development and Production instances differ: copy it from Clerk Dashboard → Webhooks → this endpoint → Signing Secret.';
  }
  findings.push({ ok: false, message: `signature: none of ${v1.length} v1 entr${v1.length > 1 ? 'ies matches' : 'y matches'} ${keys.length > 1 ? `any of the ${keys.length} secrets` : 'the secret'}` });
  return result(1, verdict);
}
