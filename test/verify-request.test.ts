/**
 * verifyWebhook(request) as a drop-in for Clerk's: the route from Clerk's docs, with its import
 * line changed to clerk-sync, against the same signed requests that @clerk/backend's own
 * verifyWebhook accepts and refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyWebhook as clerkVerifyWebhook } from '@clerk/backend/webhooks';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../src/verify/index.js';
import { newSecret } from './support/env.js';

const SECRET = newSecret();

function request(body: string, headers: Record<string, string>): Request {
  return new Request('https://app.example.com/api/webhooks', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/**
 * Clerk's App Router route (docs: "Sync Clerk data to your app with webhooks"), verbatim but for
 * the import: `import { verifyWebhook } from '@clerk/nextjs/webhooks'` becomes clerk-sync's.
 */
const logged: string[] = [];
async function POST(req: Request) {
  try {
    const evt = await verifyWebhook(req);
    // Do something with payload
    // For this guide, log payload to console
    const { id } = evt.data;
    const eventType = evt.type;
    logged.push(`Received webhook with ID ${id} and event type of ${eventType}`);
    return new Response('Webhook received', { status: 200 });
  } catch (err) {
    logged.push(`Error verifying webhook: ${(err as Error).message}`);
    return new Response('Error verifying webhook', { status: 400 });
  }
}

/** The same request twice, for the two verifiers (a body can be read once). */
function twice(body: string, headers: Record<string, string>): [Request, Request] {
  return [request(body, headers), request(body, headers)];
}

describe('verifyWebhook(request), the way Clerk apps already call it', () => {
  it("Clerk's App Router route works with only its import changed, reading CLERK_WEBHOOK_SIGNING_SECRET", async () => {
    const saved = process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    process.env.CLERK_WEBHOOK_SIGNING_SECRET = SECRET;
    try {
      const event = eventFixture('user.created');
      const body = JSON.stringify(event);
      const ok = await POST(request(body, signWebhook(body, SECRET).headers));
      assert.equal(ok.status, 200);
      assert.equal(logged.at(-1), `Received webhook with ID ${event.data.id} and event type of user.created`);
      const forged = await POST(request(body, signWebhook(body, newSecret()).headers));
      assert.equal(forged.status, 400);
      assert.match(logged.at(-1)!, /^Error verifying webhook: No signature in the svix-signature header matches/);
    } finally {
      if (saved === undefined) delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
      else process.env.CLERK_WEBHOOK_SIGNING_SECRET = saved;
    }
  });

  it("accepts what @clerk/backend's verifyWebhook(request, { signingSecret }) accepts, with the same event", async () => {
    for (const type of ['user.created', 'organizationMembership.created', 'session.created', 'email.created'] as const) {
      const event = eventFixture(type);
      // Clerk's bodies come from Go's encoder: "<" as \u003c. Both must verify the bytes as sent.
      const body = JSON.stringify(event).replace(/</g, '\\u003c');
      const [mine, theirs] = twice(body, signWebhook(body, SECRET).headers);
      const evt = await verifyWebhook(mine, { signingSecret: SECRET });
      const clerk = await clerkVerifyWebhook(theirs, { signingSecret: SECRET });
      assert.equal(evt.type, clerk.type);
      assert.deepEqual(evt.data, clerk.data);
      assert.equal(evt.timestamp, clerk.timestamp);
      assert.equal(evt.instance_id, clerk.instance_id);
      if (evt.type === 'user.created') assert.equal(typeof evt.data.email_addresses, 'object', 'typed: event.data narrows on type');
    }
  });

  it('refuses what @clerk/backend refuses, naming what was wrong in its code', async () => {
    const body = JSON.stringify(eventFixture('user.created'));
    const good = signWebhook(body, SECRET).headers;
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['tampered body', body.replace('user.created', 'user.deleted'), good, 'invalid_signature'],
      ['another secret', body, signWebhook(body, newSecret()).headers, 'invalid_signature'],
      ['no svix-signature', body, { 'svix-id': good['svix-id'], 'svix-timestamp': good['svix-timestamp'] }, 'missing_headers'],
      ['a timestamp an hour old', body, signWebhook(body, SECRET, { timestamp: Math.floor(Date.now() / 1000) - 3600 }).headers, 'timestamp_too_old'],
    ];
    for (const [what, b, headers, code] of cases) {
      const [mine, theirs] = twice(b, headers);
      await assert.rejects(clerkVerifyWebhook(theirs, { signingSecret: SECRET }), `@clerk/backend refuses: ${what}`);
      await assert.rejects(verifyWebhook(mine, { signingSecret: SECRET }), (e: unknown) => e instanceof WebhookVerificationError && e.code === code, what);
    }
  });

  it('without a secret, throws saying where to set it', async () => {
    const saved = process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    try {
      const body = JSON.stringify(eventFixture('user.created'));
      await assert.rejects(verifyWebhook(request(body, signWebhook(body, SECRET).headers)), /set CLERK_WEBHOOK_SIGNING_SECRET or pass \{ signingSecret \}/);
    } finally {
      if (saved !== undefined) process.env.CLERK_WEBHOOK_SIGNING_SECRET = saved;
    }
  });

  it('the body-and-headers form is unchanged', () => {
    const body = JSON.stringify(eventFixture('user.created'));
    const signed = signWebhook(body, SECRET);
    assert.deepEqual(verifyWebhook(body, signed.headers, SECRET), { id: signed.id, timestamp: signed.timestamp });
  });
});
