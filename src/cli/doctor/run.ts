import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { freshId } from '../../events/fixtures.js';
import { parseSecrets, signWebhook } from '../../verify/index.js';
import { ACCEPT_POST, ANSWER_FAST, CHECK_ROUTE_EXISTS, COPY_SECRET, MAKE_ROUTE_PUBLIC, MUST_CHECK_TIMESTAMP, MUST_VERIFY, SYNC_CLOCK, VERIFY_RAW_BODY } from './fixes.js';
import { probe, type ProbeAnswer, type ProbeResult } from './probe.js';
import { DOCTOR_EVENT_TYPE, doctorBodies, tamper } from './test-event.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckId = 'secret' | 'reachable' | 'redirect' | 'method' | 'route' | 'signature' | 'raw-body' | 'unsigned' | 'tampered' | 'stale' | 'speed' | 'clock';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in plain words. */
  verdict: string;
  /** What to do about it (fail and warn only). */
  fix?: string;
}

export interface DoctorReport {
  url: string;
  /** Where the checks after `redirect` ran: the redirect target, when there was one. */
  checkedUrl: string;
  /** True when every check passed (warnings allowed, nothing failed or skipped). */
  ok: boolean;
  checks: CheckResult[];
  /** Doctor's own events that the endpoint answered 2xx, and so probably stored. */
  testEvents: { type: string; svixIds: string[] };
}

export interface DoctorOptions {
  url: string;
  /** whsec_...; without it, the checks that need a correctly signed request are skipped. */
  secret?: string;
  /** What "too slow" means; Svix gives up after 15 s. */
  timeoutMs?: number;
}

const TITLES: Record<CheckId, string> = {
  secret: 'signing secret format',
  reachable: 'reachable (DNS, connection, TLS)',
  redirect: 'no redirect',
  method: 'accepts POST',
  route: 'route exists and is public',
  signature: 'accepts a correctly signed event',
  'raw-body': 'verifies the raw body',
  unsigned: 'rejects unsigned requests',
  tampered: 'rejects tampered requests',
  stale: 'rejects stale (replayed) signatures',
  speed: 'answers in time',
  clock: 'server clock',
};

const SVIX_TOLERANCE_S = 300;
const MAX_REDIRECTS = 5;

const is2xx = (s: number) => s >= 200 && s < 300;
const is3xx = (s: number) => s >= 300 && s < 400;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat || '(empty body)';
}

/** The message of a JSON error answer (`{ error: { message } }`, `{ message }`), else the body. */
function serverHint(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof v.error === 'object' ? v.error?.message : v.message ?? v.error;
    return typeof message === 'string' && message ? message : body;
  } catch {
    return body;
  }
}

/** Clerk's middleware marks what it answered with x-clerk-auth-* headers. */
function clerkAuthHeaders(a: ProbeAnswer): string | null {
  const status = header(a.headers, 'x-clerk-auth-status');
  const reason = header(a.headers, 'x-clerk-auth-reason');
  if (!status && !reason) return null;
  return [status && `x-clerk-auth-status: ${status}`, reason && `x-clerk-auth-reason: ${reason}`].filter(Boolean).join(', ');
}

const SIGNATURE_WORDS = /signature|svix|webhook|verif|timestamp|whsec/i;
const SIGN_IN_REDIRECT = /sign[-_]?in|login|accounts\.[^/]*clerk|clerk\.accounts|__clerk/i;

/** A failed probe, in words, with its fix. */
function unreachable(url: URL, r: Extract<ProbeResult, { ok: false }>): { verdict: string; fix: string } {
  switch (r.failure) {
    case 'dns':
      return { verdict: `${url.hostname} does not resolve (${r.code}): no DNS record.`, fix: 'Check the host name for typos, and that its DNS record exists and has propagated. Clerk must reach this URL from the internet: localhost and private addresses do not work (for local testing, use `clerk-sync trigger`).' };
    case 'refused':
      return { verdict: `${url.host} refused the connection: nothing listens on port ${url.port || (url.protocol === 'https:' ? 443 : 80)}.`, fix: 'Start the server, or check the port and that a firewall or load balancer forwards it.' };
    case 'tls':
      return { verdict: `the TLS handshake with ${url.host} failed (${r.code ?? r.message}).`, fix: 'Svix requires a valid certificate from a public CA that matches the host name and has not expired. Self-signed certificates are refused; use e.g. Let\'s Encrypt.' };
    case 'connect-timeout':
      return { verdict: `no connection to ${url.host} within ${Math.round(r.durationMs)} ms.`, fix: 'A firewall, security group or private network probably blocks it; the endpoint must be reachable from the internet.' };
    case 'reset':
      return { verdict: `${url.host} closed the connection without answering (${r.code}).`, fix: 'Check the server\'s logs; a proxy or TLS misconfiguration (HTTP spoken to an HTTPS port, or the reverse) does this too.' };
    default:
      return { verdict: `the request failed: ${r.message}.`, fix: 'Check the URL and that the server is up.' };
  }
}

export function describeRedirect(from: URL, to: URL, status: number): { verdict: string; fix: string } {
  let why = '';
  const bare = (h: string) => h.replace(/^www\./, '');
  if (from.hostname !== to.hostname && bare(from.hostname) === bare(to.hostname)) {
    why = ` This is the www vs bare-domain trap: ${from.hostname} redirects to ${to.hostname}.`;
  } else if (from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname) {
    why = ' The site redirects HTTP to HTTPS.';
  } else if (to.pathname === `${from.pathname}/` || from.pathname === `${to.pathname}/`) {
    why = ' The redirect only adds or removes a trailing slash.';
  }
  if (SIGN_IN_REDIRECT.test(to.href)) {
    return { verdict: `POST ${from.href} answered ${status}, redirecting to a sign-in page (${to.href}): the route is protected by authentication middleware, and Svix treats any 3xx as a failure.`, fix: MAKE_ROUTE_PUBLIC };
  }
  return {
    verdict: `POST ${from.href} answered ${status} → ${to.href}. Svix does not follow redirects: it counts a 3xx as a failed delivery, so every event fails.${why}`,
    fix: `Use the final URL, ${to.href}, as the endpoint in Clerk Dashboard → Webhooks (or stop the redirect for this path).`,
  };
}

/**
 * Runs every check against a live endpoint, sending a few harmless test events. Never throws for
 * what the endpoint does; a bad URL is the caller's to reject.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const checks = new Map<CheckId, CheckResult>();
  const set = (id: CheckId, status: CheckStatus, verdict: string, fix?: string) => checks.set(id, { id, title: TITLES[id], status, verdict, ...(fix ? { fix } : {}) });
  const skipRest = (why: string) => {
    for (const id of Object.keys(TITLES) as CheckId[]) if (!checks.has(id)) set(id, 'skip', why);
  };
  const accepted: string[] = [];
  const report = (checkedUrl: string): DoctorReport => {
    const ordered = (Object.keys(TITLES) as CheckId[]).map((id) => checks.get(id)!);
    return { url: options.url, checkedUrl, ok: ordered.every((c) => c.status === 'pass' || c.status === 'warn'), checks: ordered, testEvents: { type: DOCTOR_EVENT_TYPE, svixIds: accepted } };
  };

  // ---- the secret, checked locally
  let secret: string | null = null;
  const given = options.secret?.trim();
  if (!given) {
    set('secret', 'skip', 'no --secret given: the checks that need a correctly signed request (route, signature, raw body, stale) are skipped.', 'Pass --secret whsec_... (Clerk Dashboard → Webhooks → your endpoint → Signing Secret) to run every check.');
  } else if (/^["'].*["']$/.test(given)) {
    set('secret', 'fail', 'the secret is wrapped in quotes.', 'Pass the whsec_... value without quotes (in .env files, quotes are usually taken literally by some loaders).');
  } else if (/^(sk|pk)_(live|test)_/.test(given)) {
    set('secret', 'fail', `this is a Clerk ${given.startsWith('sk') ? 'Secret Key (sk_...)' : 'Publishable Key (pk_...)'}, not a webhook signing secret.`, COPY_SECRET);
  } else {
    try {
      const keys = parseSecrets(given);
      const list = given.split(/[\s,]+/).filter(Boolean);
      const bare = list.filter((s) => !s.startsWith('whsec_')).length;
      const odd = keys.filter((k) => k.length !== 24 && k.length !== 32).length;
      secret = given;
      if (bare > 0) set('secret', 'warn', `${bare === list.length ? 'the secret lacks' : `${bare} secret(s) lack`} the whsec_ prefix; accepted, but Clerk shows secrets as whsec_...`, 'Copy the whole value, whsec_ included, so no library reads it differently.');
      else if (odd > 0) set('secret', 'warn', `the key decodes to ${keys.map((k) => k.length).join(', ')} bytes; Clerk's secrets are 24 bytes (32 base64 characters). Was it truncated when copied?`, COPY_SECRET);
      else set('secret', 'pass', keys.length > 1 ? `${keys.length} well-formed secrets (rotation); test events are signed with all of them, as Svix does during a rotation.` : 'a well-formed whsec_ secret.');
    } catch (error) {
      set('secret', 'fail', (error as Error).message, COPY_SECRET);
    }
  }

  const bodies = doctorBodies();
  const msgId = () => `msg_${freshId('x').slice(2)}`;
  const signed = (body: string, opts: { timestamp?: number; with?: string } = {}) => {
    const id = msgId();
    return { id, headers: signWebhook(body, opts.with ?? secret!, { id, timestamp: opts.timestamp }).headers as Record<string, string> };
  };
  const post = (url: string, body: string, headers: Record<string, string> = {}) => probe({ url, body, headers, timeoutMs });

  // ---- the first request: signed when we can, following redirects only to report them
  let url = new URL(options.url);
  let first: ProbeResult;
  let firstId: string | null = null;
  const hops: Array<{ from: URL; to: URL; status: number }> = [];
  for (;;) {
    const s = secret ? signed(bodies.compact) : null;
    first = await post(url.href, bodies.compact, s?.headers);
    firstId = s?.id ?? null;
    if (!first.ok || !is3xx(first.status) || hops.length >= MAX_REDIRECTS) break;
    const location = header(first.headers, 'location');
    if (!location) break;
    const to = new URL(location, url);
    hops.push({ from: url, to, status: first.status });
    url = to;
  }

  if (!first.ok) {
    if (first.failure === 'timeout') {
      set('reachable', 'pass', `connected to ${url.host}.`);
      set('speed', 'fail', `no answer within ${Math.round(timeoutMs)} ms${timeoutMs >= 15_000 ? ': Svix gives up after 15 s and counts the delivery as failed' : ` (the --timeout; Svix waits 15 s)`}.`, ANSWER_FAST);
      skipRest('not checked: the endpoint did not answer the first request in time.');
    } else {
      const { verdict, fix } = unreachable(url, first);
      set('reachable', 'fail', verdict, fix);
      skipRest('not checked: the endpoint is not reachable.');
    }
    return report(url.href);
  }
  set('reachable', 'pass', `${url.protocol === 'https:' ? 'TLS certificate accepted; ' : ''}answered HTTP ${first.status}.`);

  if (hops.length > 0) {
    const { verdict, fix } = describeRedirect(hops[0]!.from, hops.at(-1)!.to, hops[0]!.status);
    const more = hops.length > 1 ? ` (${hops.length} redirects)` : '';
    set('redirect', 'fail', `${verdict}${more} The other checks ran against ${url.href}.`, fix);
    if (SIGN_IN_REDIRECT.test(hops.at(-1)!.to.href)) set('route', 'fail', 'the route redirects to sign-in: it is protected by authentication middleware.', MAKE_ROUTE_PUBLIC);
  } else {
    set('redirect', 'pass', 'no redirect.');
  }
  if (is3xx(first.status)) {
    set('method', 'skip', `still redirected after ${MAX_REDIRECTS} hops.`);
    skipRest('not checked: the endpoint keeps redirecting.');
    return report(url.href);
  }

  // ---- timing and clock, from the first answer
  const slowAt = Math.min(timeoutMs / 3, 5_000);
  if (first.durationMs > slowAt) set('speed', 'warn', `answered in ${Math.round(first.durationMs)} ms: close to Svix's 15 s limit once load or a cold start adds up.`, ANSWER_FAST);
  else set('speed', 'pass', `answered in ${Math.round(first.durationMs)} ms (Svix waits at most 15 s).`);
  const date = header(first.headers, 'date');
  let skewS: number | null = null;
  if (!date || Number.isNaN(Date.parse(date))) {
    set('clock', 'warn', 'the answer has no Date header, so the server\'s clock cannot be compared.', 'Most servers send Date; if yours is behind a proxy that strips it, compare the clock with NTP by hand.');
  } else {
    skewS = Math.round((Date.parse(date) + 500 - first.midpointMs) / 1000);
    const where = `the server's clock is ${Math.abs(skewS)} s ${skewS > 0 ? 'ahead of' : 'behind'} this machine's (from its Date header)`;
    if (Math.abs(skewS) > SVIX_TOLERANCE_S) set('clock', 'fail', `${where}: more than the 5-minute tolerance, so verification rejects every delivery as too old or too new (unless this machine's clock is the wrong one).`, SYNC_CLOCK);
    else if (Math.abs(skewS) > 30) set('clock', 'warn', `${where}; within the 5-minute tolerance, but drifting.`, SYNC_CLOCK);
    else set('clock', 'pass', Math.abs(skewS) <= 2 ? 'in sync with this machine (Date header).' : `${where}; fine (tolerance 5 minutes).`);
  }

  // ---- method and route
  if (first.status === 405) {
    set('method', 'fail', `POST got 405 Method Not Allowed${header(first.headers, 'allow') ? ` (Allow: ${header(first.headers, 'allow')})` : ''}: something answers at this path but does not take POST.`, ACCEPT_POST);
    skipRest('not checked: the endpoint does not accept POST.');
    return report(url.href);
  }
  // A 404 says nothing about the method: nothing (visible) is there to take it.
  if (first.status === 404) set('method', 'skip', 'not known: nothing answered at this path (404; see route).');
  else set('method', 'pass', `POST is accepted (HTTP ${first.status}).`);

  const clerkAuth = clerkAuthHeaders(first);
  if (!checks.has('route')) {
    if (first.status === 404) {
      // Clerk's middleware marks its 404; without that mark, the likelier cause is a wrong path,
      // and the server's own answer (clerk-sync's names its webhook path) says most.
      const said = first.body.trim() ? ` The server said: ${snippet(serverHint(first.body))}` : '';
      if (clerkAuth) {
        set('route', 'fail', `a ${secret ? 'correctly signed ' : ''}POST got 404: Clerk's middleware answered (${clerkAuth}): auth.protect() answers 404 to signed-out requests, and Svix has no session.`, MAKE_ROUTE_PUBLIC);
      } else {
        set('route', 'fail', `a ${secret ? 'correctly signed ' : ''}POST got 404: either no route exists at this path, or middleware (such as Clerk's auth.protect(), which answers 404 to signed-out requests) hides it.${said}`, `${CHECK_ROUTE_EXISTS}\n\nIf the route does exist: ${MAKE_ROUTE_PUBLIC}`);
      }
    } else if ((first.status === 401 || first.status === 403) && (clerkAuth || (secret && !SIGNATURE_WORDS.test(first.body)))) {
      set('route', 'fail', `a ${secret ? 'correctly signed ' : ''}POST got ${first.status}${clerkAuth ? ` from Clerk's middleware (${clerkAuth})` : ` with a body that says nothing about signatures (${snippet(first.body)})`}: the route is protected by authentication middleware.`, MAKE_ROUTE_PUBLIC);
    } else if (!secret) {
      set('route', 'skip', `a POST without signature got ${first.status}; pass --secret to tell a missing or protected route from a verifying one.`);
    } else {
      set('route', 'pass', 'the route exists and is not behind sign-in.');
    }
  }
  const routeOk = checks.get('route')!.status === 'pass';

  // ---- the signed event, and the raw body
  if (!secret) {
    set('signature', 'skip', 'needs --secret.');
    set('raw-body', 'skip', 'needs --secret.');
  } else if (!routeOk) {
    set('signature', 'skip', 'not checked: the route is missing or protected (see route).');
    set('raw-body', 'skip', 'not checked: the route is missing or protected (see route).');
  } else if (is2xx(first.status)) {
    accepted.push(firstId!);
    set('signature', 'pass', `a correctly signed test event was answered ${first.status}.`);
    const s = signed(bodies.goEncoded);
    const raw = await post(url.href, bodies.goEncoded, s.headers);
    if (!raw.ok) set('raw-body', 'fail', `the second test event got no answer (${raw.message}).`);
    else if (is2xx(raw.status)) {
      accepted.push(s.id);
      set('raw-body', 'pass', 'an event encoded the way Clerk encodes it (\\u003c escapes) verified too: the raw body is verified.');
    } else if (raw.status === 400 || raw.status === 401 || raw.status === 403) {
      set('raw-body', 'fail', `the same event written the way Clerk's encoder writes it (\\u003c for "<") got ${raw.status}, while its JSON.stringify form passed: the endpoint parses and re-serializes the body before verifying. Some real Clerk events will fail to verify. Response: ${snippet(raw.body)}`, VERIFY_RAW_BODY);
    } else set('raw-body', 'fail', `the second test event got ${raw.status}: ${snippet(raw.body)}`);
  } else if (first.status === 400 || first.status === 401 || first.status === 403) {
    set('raw-body', 'skip', 'not checked: the signed test event was rejected (see signature).');
    if (skewS !== null && Math.abs(skewS) > SVIX_TOLERANCE_S) {
      set('signature', 'fail', `a correctly signed test event got ${first.status}: the server's clock is off by ${Math.abs(skewS)} s, so the fresh svix-timestamp looks ${skewS > 0 ? 'too old' : 'too new'} to it (see clock). Response: ${snippet(first.body)}`, SYNC_CLOCK);
    } else if (/timestamp|too old|too new|expired|tolerance/i.test(first.body)) {
      set('signature', 'fail', `a correctly signed test event got ${first.status}, and the response blames the timestamp: the server's clock is probably off. Response: ${snippet(first.body)}`, SYNC_CLOCK);
    } else {
      const s = signed(bodies.spaced);
      const spaced = await post(url.href, bodies.spaced, s.headers);
      if (spaced.ok && is2xx(spaced.status)) {
        accepted.push(s.id);
        set('signature', 'fail', `a correctly signed compact event got ${first.status}, but the same event written with ", " and ": " separators passed: the endpoint re-serializes the body (like Python's json.dumps) before verifying, so Clerk's deliveries fail.`, VERIFY_RAW_BODY);
      } else {
        const saysBody = /pars|raw|body|json|serializ/i.test(first.body) && !/secret/i.test(first.body);
        const likelier = saysBody
          ? 'the body was re-serialized before verification (the response talks about the body)'
          : 'the endpoint verifies with a different secret (a body re-serialized with JSON.stringify would still have verified this compact test event)';
        set('signature', 'fail', `a correctly signed test event got ${first.status}. Likelier cause: ${likelier}. Response: ${snippet(first.body)}`, saysBody ? `${VERIFY_RAW_BODY}\n\nIf the body is verified raw, the secret is wrong: ${COPY_SECRET}` : `${COPY_SECRET}\n\nIf the secret is right, the body is being changed before verification: ${VERIFY_RAW_BODY}`);
      }
    }
  } else {
    set('raw-body', 'skip', 'not checked: the signed test event was not accepted (see signature).');
    set('signature', 'fail', `a correctly signed test event got ${first.status}${first.status >= 500 ? ': the handler failed on a valid event. Svix retries 5xx, so a bug here means a retry storm' : ''}. Response: ${snippet(first.body)}`, first.status >= 500 ? 'Check the endpoint\'s logs for the error. Answer 2xx for event types you do not handle, and for duplicates.' : 'Answer 2xx to every correctly signed event, including types you do not handle.');
  }

  // ---- what must be rejected
  const rejected = async (id: CheckId, body: string, headers: Record<string, string>, svixId: string | null, ok: string, hole: string, fix: string) => {
    const r = await post(url.href, body, headers);
    if (!r.ok) return set(id, 'warn', `no answer (${r.message}); could not check.`);
    if (is2xx(r.status)) {
      accepted.push(svixId ?? '(the unsigned request, which has no svix-id)');
      return set(id, 'fail', `${hole} (answered ${r.status}). This is a security hole.`, fix);
    }
    if (r.status >= 500) return set(id, 'warn', `rejected, but with ${r.status}: the handler throws instead of answering 400/401.`, 'Catch the verification error and answer 400 or 401.');
    set(id, 'pass', `${ok} (${r.status}).`);
  };
  await rejected('unsigned', bodies.compact, {}, null, 'a request without svix headers was rejected', 'a request without any signature was accepted: the endpoint does not verify signatures, so anyone can send it fake events', MUST_VERIFY);
  {
    const s = signed(bodies.compact, { with: secret ?? `whsec_${randomBytes(24).toString('base64')}` });
    await rejected('tampered', tamper(bodies.compact), s.headers, s.id,
      secret ? 'a correctly signed event whose body was altered afterwards was rejected' : 'a request signed with a wrong secret was rejected',
      secret ? 'an event whose body was altered after signing was accepted: the signature is not checked against the body' : 'a request signed with a random secret was accepted: the endpoint does not verify signatures',
      MUST_VERIFY);
  }
  if (!secret) set('stale', 'skip', 'needs --secret.');
  else if (!routeOk || !checks.get('signature') || checks.get('signature')!.status !== 'pass') set('stale', 'skip', 'not checked: a correctly signed event is not accepted yet (see signature).');
  else {
    const s = signed(bodies.compact, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await rejected('stale', bodies.compact, s.headers, s.id, 'a correctly signed event with an hour-old svix-timestamp was rejected', 'a correctly signed event with an hour-old svix-timestamp was accepted: captured deliveries can be replayed', MUST_CHECK_TIMESTAMP);
  }
  // An endpoint that accepts anything "passes" the signed checks without verifying anything.
  if (checks.get('unsigned')?.status === 'fail' || checks.get('tampered')?.status === 'fail') {
    for (const id of ['signature', 'raw-body'] as const) {
      const c = checks.get(id)!;
      if (c.status === 'pass') set(id, 'warn', `${c.verdict.replace(/\.$/, '')}, but the endpoint also accepts requests it should reject (see below), so this proves nothing about verification.`, MUST_VERIFY);
    }
  }
  return report(url.href);
}
