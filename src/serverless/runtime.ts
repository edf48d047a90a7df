/** `1`/`true` or `0`/`false`: overrides what the environment says about the host. */
export const SERVERLESS_ENV = 'CLERK_SYNC_SERVERLESS';

/** Variables that hosts which freeze a function between requests set in its environment. */
const HOSTS: ReadonlyArray<[variable: string, host: string]> = [
  ['VERCEL', 'Vercel'],
  ['AWS_LAMBDA_FUNCTION_NAME', 'AWS Lambda'],
  ['NETLIFY', 'Netlify'],
];

export interface RuntimeChoice {
  serverless: boolean;
  /** Why, in words for a log line. */
  reason: string;
}

/**
 * Whether this process may be frozen as soon as it has answered (then no background loop can be
 * trusted to run): $CLERK_SYNC_SERVERLESS when set, else whether a known serverless host's
 * variable is present.
 */
export function detectServerless(env: NodeJS.ProcessEnv = process.env): RuntimeChoice {
  const explicit = env[SERVERLESS_ENV]?.trim().toLowerCase();
  if (explicit === '1' || explicit === 'true') return { serverless: true, reason: `${SERVERLESS_ENV}=${explicit}` };
  if (explicit === '0' || explicit === 'false') return { serverless: false, reason: `${SERVERLESS_ENV}=${explicit}` };
  if (explicit) throw new Error(`${SERVERLESS_ENV} must be 1, true, 0 or false, got "${env[SERVERLESS_ENV]}"`);
  const host = HOSTS.find(([variable]) => env[variable]);
  return host ? { serverless: true, reason: `running on ${host[1]} (${host[0]} is set)` } : { serverless: false, reason: 'no serverless host detected' };
}
