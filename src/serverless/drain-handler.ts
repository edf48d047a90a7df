import { sameSecret } from '../same-secret.js';
import { errorResponse, jsonResponse, toFetchResponse } from '../receiver/response.js';
import type { DrainSummary } from '../worker/worker.js';

/** The bearer token a scheduler sends; Vercel Cron sends `Authorization: Bearer $CRON_SECRET`. */
export const CRON_SECRET_ENV = 'CRON_SECRET';

/** How long one call may process (ms): under the 10 s that the smallest serverless plans allow a function. */
export const DEFAULT_DRAIN_BUDGET_MS = 8_000;

export interface DrainHandlerOptions {
  /** Default: $CRON_SECRET. Without one, every call is refused. */
  secret?: string;
  /** How long one call may process (ms); default 8000. */
  budgetMs?: number;
}

/** What the drain route needs of a ClerkSync (or of a promise of one). */
export type DrainSource = { drain(options: { budgetMs: number }): Promise<DrainSummary> };

/**
 * A Fetch API route for a scheduler (Vercel Cron, or any cron that can send a request): processes
 * the events that are due (retries coming due while no webhook arrives, events a frozen function
 * left behind) within a budget, and answers what it did as JSON. `GET` (what Vercel Cron sends)
 * or `POST`, with `Authorization: Bearer <CRON_SECRET>`; anything else is refused.
 */
export function drainHandler(source: DrainSource | PromiseLike<DrainSource>, options: DrainHandlerOptions = {}): (request: Request) => Promise<Response> {
  const budgetMs = options.budgetMs ?? DEFAULT_DRAIN_BUDGET_MS;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return toFetchResponse(errorResponse(405, 'method_not_allowed', `${request.method} is not supported here; a scheduler calls this route with GET or POST`, { allow: 'GET, POST' }));
    }
    const secret = options.secret ?? process.env[CRON_SECRET_ENV];
    if (!secret) {
      return toFetchResponse(errorResponse(401, 'unauthorized', `${CRON_SECRET_ENV} is not set here, so no call can be authorized: set it to a random string (openssl rand -hex 32) in this deployment's environment; Vercel Cron then sends it as the bearer token`));
    }
    const given = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization')?.trim() ?? '')?.[1];
    if (given === undefined || !sameSecret(given, secret)) {
      return toFetchResponse(errorResponse(401, 'unauthorized', `send Authorization: Bearer <${CRON_SECRET_ENV}>`, { 'www-authenticate': 'Bearer realm="clerk-sync drain"' }));
    }
    try {
      return toFetchResponse(jsonResponse(200, await (await source).drain({ budgetMs })));
    } catch (error) {
      return toFetchResponse(errorResponse(503, 'store_unavailable', `could not process the due events: ${(error as Error).message}. Nothing was lost; the next call retries`, { 'retry-after': '60' }));
    }
  };
}
