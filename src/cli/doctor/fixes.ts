/** The fixes doctor prints, one per cause; kept together so their wording stays consistent. */

export const MAKE_ROUTE_PUBLIC = `Make the webhook route public: Svix sends no session, so middleware that requires sign-in rejects every delivery.
With Clerk's Next.js middleware (middleware.ts, or proxy.ts on Next.js 16):

  import { clerkMiddleware, createRouteMatcher } from '@clerk/nextjs/server'

  const isPublicRoute = createRouteMatcher(['/sign-in(.*)', '/sign-up(.*)', '/api/webhooks(.*)'])

  export default clerkMiddleware(async (auth, req) => {
    if (!isPublicRoute(req)) await auth.protect()
  })

Other frameworks: exclude /api/webhooks from the auth middleware. The signature is the webhook's authentication.`;

export const CHECK_ROUTE_EXISTS = 'Check the URL in Clerk Dashboard → Webhooks → your endpoint: the path must match your route exactly (Next.js App Router: app/api/webhooks/route.ts serves /api/webhooks).';

export const ACCEPT_POST = 'Handle POST at this path: Next.js App Router: `export async function POST(req: Request)` in app/api/webhooks/route.ts; Express: app.post(\'/api/webhooks\', express.raw({ type: \'application/json\' }), handler). Svix only ever sends POST.';

export const VERIFY_RAW_BODY = `Verify the raw request bytes, exactly as received, never a parsed-and-re-serialized body:
  Next.js App Router: const body = await req.text()   (or Clerk's verifyWebhook(req))
  Next.js Pages Router: export const config = { api: { bodyParser: false } }, then read the stream
  Express: app.post('/api/webhooks', express.raw({ type: 'application/json' }), ...) before any express.json()
  Fastify: addContentTypeParser('application/json', { parseAs: 'buffer' }, ...)
Clerk's bodies come from Go's JSON encoder (e.g. "<" sent as \\u003c), so JSON.stringify(JSON.parse(body)) is not the body Clerk signed.`;

export const COPY_SECRET = 'Copy the Signing Secret from Clerk Dashboard → Webhooks → this endpoint → Signing Secret (whsec_...) into the endpoint\'s configuration (e.g. CLERK_WEBHOOK_SIGNING_SECRET) and into --secret. Each endpoint has its own secret, and Development and Production instances differ.';

export const MUST_VERIFY = 'Verify every request before using it: Clerk\'s verifyWebhook(req) (@clerk/nextjs/webhooks, @clerk/backend/webhooks), the svix package\'s Webhook.verify(rawBody, headers), or clerk-sync\'s verifyWebhook. Answer 400/401 when it throws. Until then anyone can forge users, memberships and deletions in your database.';

export const MUST_CHECK_TIMESTAMP = 'Use a verifier that checks svix-timestamp (every Svix library rejects timestamps more than 5 minutes off): without it, a captured delivery can be replayed forever.';

export const ANSWER_FAST = 'Answer within 15 s (better, within 1-2 s): store the event and answer 2xx, then do the slow work afterwards (a queue, or clerk-sync\'s inbox and worker). Svix counts a slower answer as a failure and retries.';

export const SYNC_CLOCK = 'Synchronise the server\'s clock with NTP (e.g. systemd-timesyncd, chrony; containers take the host\'s clock). Verification rejects timestamps more than 5 minutes from the server\'s own time.';
