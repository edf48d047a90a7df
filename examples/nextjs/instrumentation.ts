// Runs once when the Next.js server starts: apply migrations and start the worker right away,
// so events stored before a restart are processed without waiting for the next request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { clerkSync } = await import('./lib/clerk-sync');
    await clerkSync.ready();
  }
}
