-- Recipes: plain SQL, the same text on PostgreSQL and SQLite ($1 is `?` with better-sqlite3).
-- Tables with a deleted_at column keep ended rows (tombstones: `deleted_at is not null`): exclude them.

-- name: user_with_primary_email
select id, first_name, last_name, primary_email_address
  from clerk_users
 where id = $1 and deleted_at is null;

-- name: user_email_addresses
select email_address, is_primary, verification_status
  from clerk_user_email_addresses
 where user_id = $1
 order by email_address;

-- name: active_members
select u.id as user_id, u.first_name, m.role, m.role_name
  from clerk_organization_memberships m
  join clerk_users u on u.id = m.user_id and u.deleted_at is null
 where m.organization_id = $1 and m.deleted_at is null
 order by m.created_at;

-- name: posts_with_authors
select p.id, p.title, u.id as author_id, u.first_name as author_first_name, u.primary_email_address as author_email
  from posts p
  left join clerk_users u on u.id = p.author_id and u.deleted_at is null
 order by p.id;

-- name: active_subscription_count
select count(*) as n from clerk_subscriptions where status = 'active';
