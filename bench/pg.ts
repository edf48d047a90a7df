/** A fresh PostgreSQL database for one benchmark run, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_PG_URL = process.env.CLERK_SYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function withPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `clerk_sync_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(BENCH_PG_URL);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
