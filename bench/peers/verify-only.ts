/**
 * The bare ceiling's whole verification, shared by bare-verify.ts and durable-floor.ts so that the
 * two differ only in what they store: the Svix HMAC-SHA256 of the raw body with node:crypto and a
 * constant-time comparison, with no timestamp window and no parsing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const key = Buffer.from(process.env.CLERK_WEBHOOK_SIGNING_SECRET!.replace(/^whsec_/, ''), 'base64');

/** The request's body in full, and whether one of its svix-signature entries signs it. */
export function readVerified(req: IncomingMessage, done: (body: Buffer, ok: boolean) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = createHmac('sha256', key).update(`${req.headers['svix-id']}.${req.headers['svix-timestamp']}.`).update(body).digest();
    const ok = String(req.headers['svix-signature'] ?? '')
      .split(' ')
      .some((s) => {
        const given = Buffer.from(s.slice(s.indexOf(',') + 1), 'base64');
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
    done(body, ok);
  });
}
