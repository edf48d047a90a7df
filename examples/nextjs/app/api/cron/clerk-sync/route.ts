import { clerkSync } from '../../../../lib/clerk-sync';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Vercel Cron calls this with `Authorization: Bearer $CRON_SECRET` (see vercel.json): it processes
 * the events that are due, e.g. retries that came due while no webhook arrived to carry them.
 */
export const GET = clerkSync.cron;
