import { desc, isNull, type AnyColumn } from 'drizzle-orm';
import { clerkDb } from './db';

export interface RecentUser {
  id: string;
  first_name: string | null;
  last_name: string | null;
  primary_email_address: string | null;
  created_at: number | null;
  /** How many email addresses the user has (clerk_user_email_addresses). */
  email_count: number;
}

/** One query for both dialects: the same relational query on either schema. */
const newest = {
  columns: { id: true, first_name: true, last_name: true, primary_email_address: true, created_at: true },
  with: { email_addresses: { columns: { id: true } } },
  where: (u: { deleted_at: AnyColumn }) => isNull(u.deleted_at),
  orderBy: (u: { created_at: AnyColumn }) => desc(u.created_at),
  limit: 100,
} as const;

/** The 100 newest users not deleted, with their number of email addresses. */
export async function recentUsers(): Promise<RecentUser[]> {
  const handle = await clerkDb();
  const users = handle.dialect === 'postgres' ? await handle.db.query.clerkUsers.findMany(newest) : await handle.db.query.clerkUsers.findMany(newest);
  return users.map(({ email_addresses, ...user }) => ({ ...user, email_count: email_addresses.length }));
}
