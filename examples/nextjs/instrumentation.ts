// Runs once when the Next.js server starts: check the migrations and, on a long-lived server,
// start the worker right away, so events stored before a restart are processed without waiting
// for the next request. On Vercel it only warms the instance up (one version-check query).
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { clerkSync } = await import('./lib/clerk-sync');
    await clerkSync.ready();
  }
}
