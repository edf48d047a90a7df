// Type-level tests for typed handlers: checked by `tsc -p tsconfig.json --noEmit`, never run.
import type { Generated, Transaction } from 'kysely';
import { clerkSyncNext } from '../../src/adapters/next/index.js';
import { createClerkSync, EventHandlers, type ClerkSyncDatabase, type DeletedUser, type HandlerContext, type OrganizationMembership, type User } from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

interface AppTables {
  profiles: { user_id: string; display_name: string | null; created_at: Generated<number> };
}

export async function handlerMapNarrowsPerKey(): Promise<void> {
  await createClerkSync({
    handlers: {
      'user.created': async (event, ctx) => {
        expectType<Equal<typeof event.data, User>>(true);
        expectType<Equal<typeof event.type, 'user.created'>>(true);
        const first: string | null = event.data.first_name;
        const key: string = ctx.svixId;
        const attempt: number = ctx.attempt;
        const signal: AbortSignal = ctx.signal;
        ctx.logger.info('new user', { user_id: event.data.id });
        void [first, key, attempt, signal];
        // @ts-expect-error misspelled field on a narrowed event
        void event.data.frist_name;
      },
      'user.deleted': (event) => {
        expectType<Equal<typeof event.data, DeletedUser>>(true);
        // @ts-expect-error a deleted user carries no email addresses
        void event.data.email_addresses;
      },
      'organizationMembership.deleted': (event) => {
        expectType<Equal<typeof event.data, OrganizationMembership>>(true);
      },
      '*': (event) => {
        // The catch-all gets the whole union and narrows on `type`.
        if (event.type === 'session.created') void event.data.user.id;
        // @ts-expect-error not every event has first_name
        void event.data.first_name;
      },
      // @ts-expect-error not an event type
      'user.craeted': () => {},
    },
  });
}

export async function onNarrowsAndTypesTheTransaction(): Promise<void> {
  const sync = await createClerkSync<AppTables>({ sync: { except: ['session.*', 'email.created'] } });
  sync.on('user.updated', async (event, ctx) => {
    expectType<Equal<typeof event.data, User>>(true);
    expectType<Equal<typeof ctx.trx, Transaction<ClerkSyncDatabase & AppTables>>>(true);
    await ctx.trx.insertInto('profiles').values({ user_id: event.data.id, display_name: event.data.first_name }).execute();
    await ctx.trx.selectFrom('clerk_users').select(['id', 'primary_email_address']).where('id', '=', event.data.id).execute();
    // @ts-expect-error no such column in the app's table
    await ctx.trx.insertInto('profiles').values({ user_id: event.data.id, nickname: 'x' }).execute();
    // @ts-expect-error no such table
    await ctx.trx.selectFrom('profile').selectAll().execute();
  });

  // Several types: a union that narrows on `type`.
  sync.on(['user.created', 'user.deleted'], (event) => {
    if (event.type === 'user.deleted') {
      const deleted: true = event.data.deleted;
      void deleted;
    } else {
      expectType<Equal<typeof event.data, User>>(true);
    }
    // @ts-expect-error deleted users have no first_name, so the union does not either
    void event.data.first_name;
  });

  // @ts-expect-error not an event type
  sync.on('user.craeted', () => {});
  // @ts-expect-error the handler expects an organization, but gets a user
  sync.on('user.created', (event: { data: { slug: string } }) => void event);
  sync.onAny((event, ctx: HandlerContext<AppTables>) => void [event.type, ctx.trx]);
}

export function registryAndSyncOptions(): void {
  const handlers = new EventHandlers().on('organization.created', (event) => {
    const slug: string = event.data.slug;
    void slug;
  });
  void createClerkSync({ handlers, sync: false });
  void createClerkSync({ sync: { only: ['user.*', 'organization.created'] } });
  // @ts-expect-error not a namespace
  void createClerkSync({ sync: { only: ['usr.*'] } });
  // @ts-expect-error only and except together
  void createClerkSync({ sync: { only: ['user.created'], except: ['user.deleted'] } });
}

export function adaptersTakeTypedHandlers(): void {
  const next = clerkSyncNext<AppTables>({
    handlers: {
      'organizationMembership.created': async (event, ctx) => {
        const orgId: string = event.data.organization.id;
        await ctx.trx.insertInto('profiles').values({ user_id: orgId, display_name: null }).execute();
        // @ts-expect-error memberships have no first_name
        void event.data.first_name;
      },
    },
  });
  const post: (request: Request) => Promise<Response> = next.POST;
  void post;
  void (async () => {
    const sync = await next.ready();
    expectType<Equal<Parameters<Parameters<typeof sync.onAny>[0]>[1]['trx'], Transaction<ClerkSyncDatabase & AppTables>>>(true);
  });
  // @ts-expect-error an options object, not a handler
  clerkSyncNext(async () => {});
}
