import { clerkSync } from '../lib/clerk-sync';

export const dynamic = 'force-dynamic';

export default async function UsersPage() {
  const { database } = await clerkSync.ready();
  const users = await database.db
    .selectFrom('clerk_users')
    .select(['id', 'first_name', 'last_name', 'primary_email_address', 'created_at'])
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return (
    <main>
      <h1>Synced users ({users.length})</h1>
      <table>
        <thead>
          <tr><th>id</th><th>name</th><th>email</th><th>created</th></tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-user-id={u.id}>
              <td>{u.id}</td>
              <td>{[u.first_name, u.last_name].filter(Boolean).join(' ')}</td>
              <td>{u.primary_email_address}</td>
              <td>{u.created_at === null ? '' : new Date(Number(u.created_at)).toISOString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
