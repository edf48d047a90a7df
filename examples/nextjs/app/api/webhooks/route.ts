import { clerkSync } from '../../../lib/clerk-sync';

export const runtime = 'nodejs'; // clerk-sync needs Node.js (SQLite, pg, node:crypto), not the Edge runtime
export const dynamic = 'force-dynamic';

export const POST = clerkSync.POST;
