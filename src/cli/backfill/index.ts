export { ClerkApi, ClerkApiError, DEFAULT_CLERK_API_URL, keyFingerprint } from './clerk-api.js';
export type { ClerkApiOptions, ListPage } from './clerk-api.js';
export { BACKFILL_RESOURCES, runBackfill } from './run.js';
export type { BackfillOptions, BackfillResource, BackfillResult, ResourceResult } from './run.js';
