import { clerkSync } from '../lib/clerk-sync';
import { recentUsers } from '../lib/users';

export const dynamic = 'force-dynamic';

export default async function UsersPage() {
  await clerkSync.ready(); // migrates the database on first use, before Drizzle reads it
  const users = await recentUsers();
  return (
    <main>
      <h1>Synced users ({users.length})</h1>
      <table>
        <thead>
          <tr><th>id</th><th>name</th><th>email</th><th>emails</th><th>created</th></tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-user-id={u.id}>
              <td>{u.id}</td>
              <td>{[u.first_name, u.last_name].filter(Boolean).join(' ')}</td>
              <td>{u.primary_email_address}</td>
              <td>{u.email_count}</td>
              <td>{u.created_at === null ? '' : new Date(u.created_at).toISOString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
