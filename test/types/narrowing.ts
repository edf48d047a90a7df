// Type-level tests: checked by `tsc -p tsconfig.json --noEmit`, never run.
import { eventFixture, parseEvent } from '../../src/events/index.js';
import type {
  BillingPayer,
  ClerkEventOf,
  ClerkWebhookEvent,
  DeletedUser,
  OrganizationMembership,
  PaymentAttempt,
  Subscription,
  SubscriptionItem,
  User,
} from '../../src/events/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

export function narrowsOnType(evt: ClerkWebhookEvent): void {
  if (evt.type === 'user.created') {
    expectType<Equal<typeof evt.data, User>>(true);
    const email: string | undefined = evt.data.email_addresses[0]?.email_address;
    const primary = evt.data.email_addresses.find((e) => e.id === evt.data.primary_email_address_id);
    const name: string | null = evt.data.first_name;
    void [email, primary, name];
    // @ts-expect-error misspelled field on a narrowed event
    void evt.data.frist_name;
  }

  if (evt.type === 'user.deleted') {
    expectType<Equal<typeof evt.data, DeletedUser>>(true);
    const deleted: true = evt.data.deleted;
    const externalId: string | undefined = evt.data.external_id;
    void [deleted, externalId];
    // @ts-expect-error a deleted user carries no profile
    void evt.data.email_addresses;
  }

  if (evt.type === 'organization.deleted') {
    const slug: string | undefined = evt.data.slug;
    void slug;
  }

  if (evt.type === 'role.deleted' || evt.type === 'permission.deleted' || evt.type === 'organizationDomain.deleted') {
    const shape: { id: string; deleted: true } = evt.data;
    void shape;
    // @ts-expect-error role/permission deletions are id-only, unlike Clerk's SDK types claim
    void evt.data.key;
  }

  if (evt.type === 'organizationMembership.deleted') {
    expectType<Equal<typeof evt.data, OrganizationMembership>>(true);
    const orgId: string = evt.data.organization.id;
    const userId: string | undefined = evt.data.public_user_data?.user_id;
    void [orgId, userId];
  }

  if (evt.type === 'session.created' || evt.type === 'session.updated') {
    const userId: string = evt.data.user.id;
    void userId;
  }

  if (evt.type === 'subscription.pastDue') {
    expectType<Equal<typeof evt.data, Subscription>>(true);
    const payer: BillingPayer = evt.data.payer;
    const status: 'past_due' | 'active' | 'canceled' | 'ended' | 'abandoned' | 'incomplete' = evt.data.status;
    void [payer, status];
  }

  if (evt.type === 'subscriptionItem.freeTrialEnding') {
    expectType<Equal<typeof evt.data, SubscriptionItem>>(true);
    const trial: boolean = evt.data.is_free_trial;
    void trial;
  }

  if (evt.type === 'paymentAttempt.updated') {
    expectType<Equal<typeof evt.data, PaymentAttempt>>(true);
    const amount: number = evt.data.totals.grand_total.amount;
    void amount;
  }

  if (evt.type === 'invitation.accepted') {
    const status: 'pending' | 'accepted' | 'revoked' | 'expired' = evt.data.status;
    void status;
  }

  switch (evt.type) {
    case 'organizationInvitation.accepted':
      void evt.data.user_id.length;
      break;
    case 'waitlistEntry.updated':
      void evt.data.invitation?.id;
      break;
  }

  // @ts-expect-error not an event type
  if (evt.type === 'user.craeted') return;
}

export function parsedEvents(body: string): void {
  const parsed = parseEvent(body);
  if (parsed.known) {
    narrowsOnType(parsed.event);
  } else {
    const type: string = parsed.event.type;
    void type;
  }
}

export function fixturesAreTyped(): void {
  const evt: ClerkEventOf<'user.updated'> = eventFixture('user.updated');
  const event: ClerkWebhookEvent = eventFixture('organizationMembership.deleted');
  void [evt.data.updated_at, event];
  // @ts-expect-error the fixture's type follows the requested type
  const wrong: ClerkEventOf<'user.deleted'> = eventFixture('user.created');
  // @ts-expect-error unknown type names are rejected
  eventFixture('user.craeted');
  void wrong;
}
