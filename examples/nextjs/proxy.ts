import { NextResponse, type NextRequest } from 'next/server';

/**
 * Everything is protected except the routes that are called without any session: the webhook
 * route (Svix) and the drain route (Vercel Cron, which checks its own bearer token). A protected
 * webhook route answers 401/404 and every Clerk delivery fails.
 *
 * Next.js 16 calls this file proxy.ts (Next.js 15 and earlier: middleware.ts, exporting
 * `middleware`). This example must run offline, so it protects with HTTP Basic auth
 * (EXAMPLE_BASIC_AUTH, default admin:clerk-sync). With Clerk, the same rule is:
 *
 *   import { clerkMiddleware, createRouteMatcher } from '@clerk/nextjs/server';
 *   const isPublicRoute = createRouteMatcher(['/api/webhooks(.*)', '/api/cron/clerk-sync']);
 *   export default clerkMiddleware(async (auth, req) => {
 *     if (!isPublicRoute(req)) await auth.protect();
 *   });
 */
const isPublicRoute = (pathname: string) => /^\/api\/webhooks(\/.*)?$/.test(pathname) || pathname === '/api/cron/clerk-sync';

export function proxy(request: NextRequest) {
  if (isPublicRoute(request.nextUrl.pathname)) return NextResponse.next();
  const expected = `Basic ${btoa(process.env.EXAMPLE_BASIC_AUTH ?? 'admin:clerk-sync')}`;
  if (request.headers.get('authorization') === expected) return NextResponse.next();
  return new NextResponse('authentication required', { status: 401, headers: { 'www-authenticate': 'Basic realm="clerk-sync example"' } });
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
