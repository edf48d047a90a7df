/**
 * A PostgreSQL URL as users paste it, checked before it reaches the driver, and the driver's
 * connection errors turned into what is wrong with the URL or the server and the fix.
 */
import { errorCode } from './errors.js';
import { docsLink } from '../docs-link.js';

/** The database was misconfigured (URL, credentials, TLS): retrying will not help, fixing will. */
export class DatabaseConfigError extends Error {}

const ENCODED: Record<string, string> = { '#': '%23', '?': '%3F', '/': '%2F' };

/** TLS modes whose meaning node-pg is changing to libpq's (it warns about it on every start). */
const LIBPQ_SSL_MODES = new Set(['prefer', 'require', 'verify-ca']);

/**
 * The URL to give node-pg. Refuses one whose password (or user) holds an unencoded `#`, `?` or
 * `/`: URL parsing would cut it there and the driver would go looking for a host named after
 * half the password. `sslmode` means what it means in libpq, psql and the providers' docs
 * (`require`: encrypted, certificate not verified; `verify-full`: verified), which node-pg
 * adopts in its next major version and today only with `uselibpqcompat=true`.
 */
export function driverUrl(url: string): string {
  const afterScheme = url.slice(url.indexOf('://') + 3);
  const at = afterScheme.indexOf('@');
  const bad = at > 0 ? /[#?/]/.exec(afterScheme.slice(0, at)) : null;
  if (bad) {
    throw new DatabaseConfigError(
      `the PostgreSQL URL's user or password contains an unencoded "${bad[0]}": percent-encode it as ${ENCODED[bad[0]]} (in JavaScript, encodeURIComponent(password)); special characters in a URL's password must be encoded`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError('the PostgreSQL URL is not a valid URL: the form is postgres://USER:PASSWORD@HOST:PORT/DATABASE, with special characters in the password percent-encoded');
  }
  const mode = parsed.searchParams.get('sslmode');
  if (mode && LIBPQ_SSL_MODES.has(mode) && !parsed.searchParams.has('uselibpqcompat')) {
    parsed.searchParams.set('uselibpqcompat', 'true');
    return parsed.toString();
  }
  return url;
}

/**
 * What a connection error says about the configuration, with the fix; null for errors that are
 * not about configuration (an unreachable server is retried, not explained away).
 */
export function explainConnectionError(error: unknown): DatabaseConfigError | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DatabaseConfigError) return e;
    const said = e instanceof Error ? e.message : String(e);
    const fix = fixFor(errorCode(e), said);
    if (fix) return new DatabaseConfigError(`${said}: ${fix}`);
  }
  return null;
}

function fixFor(code: string, said: string): string | null {
  switch (code) {
    case '3D000': {
      const name = /database "(.*)" does not exist/.exec(said)?.[1] ?? 'NAME';
      return `create it (\`createdb ${name}\`, or CREATE DATABASE in psql), or fix the database name at the end of the URL (--db or DATABASE_URL)`;
    }
    case '28P01':
      return 'check the password in the URL; percent-encode special characters in it (@ as %40, # as %23, / as %2F)';
    case '28000':
      return /role .* does not exist/.test(said)
        ? 'check the user name in the URL, or create that role'
        : 'the server does not accept this user from this address (pg_hba.conf); a managed PostgreSQL usually needs TLS: add ?sslmode=require to the URL';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return "the URL's host name does not resolve: check the host (and percent-encode any @, #, / or ? in the password, or the URL is cut there)";
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the server's TLS certificate is not signed by a CA this machine trusts: give the provider's CA certificate with sslrootcert=/path/to/ca.pem in the URL (or NODE_EXTRA_CA_CERTS), or use sslmode=require to encrypt without verifying (see ${docsLink('deploy.md#postgresql-urls-and-tls')})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the server's TLS certificate is for another host name: connect with the host name the certificate names, or use sslmode=verify-ca with sslrootcert";
  }
  if (/SASL: .*client password must be a string/.test(said)) return 'the server asks for a password and the URL has none: postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  if (/The server does not support SSL connections/.test(said)) return 'the URL asks for TLS (sslmode) and this server does not offer it: remove sslmode from the URL, or use sslmode=disable for a local server';
  return null;
}
