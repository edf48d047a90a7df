import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { sqlitePath } from '../../store/database.js';
import { createProgress, type Progress } from '../progress.js';
import { dbOption, openExistingDatabase } from '../options.js';
import { docsLink } from '../../docs-link.js';

/** Below this size the copy takes well under a second: no progress line. */
const PROGRESS_FROM_BYTES = 16 * 1024 * 1024;
/** The most pages a step copies when the source has not changed under it (100 steps). */
const STEPS = 100;
const ALL_PAGES = 0x7fffffff;

export function backupCommand(): Command {
  return new Command('backup')
    .description('copy the SQLite database to a file, consistently, while serve keeps running (SQLite online backup)')
    .argument('<dest-file>', 'the backup file to write (its directory must exist)')
    .addOption(new Option('--force', 'replace <dest-file> if it exists'))
    .addOption(dbOption())
    .addHelpText('after', `
The copy is a consistent snapshot holding every event committed before the backup started. It
is written beside <dest-file> and renamed into place once complete and checked, so a backup
file is never half-written. It is a plain SQLite file (no -wal beside it): copy it anywhere, open it with
sqlite3, or start clerk-sync on a copy with --db. For PostgreSQL, use pg_dump.

Examples:
  $ clerk-sync backup /backups/clerk-sync-$(date +%F).db
  $ clerk-sync backup ./copy.db --db /var/lib/clerk-sync/clerk-sync.db --force`)
    .action(async (destArg: string, opts: { db: string; force?: boolean }) => {
      const path = sqlitePath(opts.db);
      if (path === null) {
        throw new InvalidArgumentError(`backup copies a SQLite database; --db (or DATABASE_URL) is a PostgreSQL URL: use pg_dump (see ${docsLink('deploy.md#backups')})`);
      }
      if (path === ':memory:') throw new InvalidArgumentError('--db is :memory:, which lives only inside its process: there is nothing on disk to back up');
      const source = resolve(path);
      const dest = resolve(destArg);
      if (dest === source) throw new InvalidArgumentError(`${dest} is the database itself: give the backup another file`);
      if (!existsSync(dirname(dest))) throw new InvalidArgumentError(`cannot write ${dest}: the directory ${dirname(dest)} does not exist`);
      const leftovers = [dest, `${dest}-wal`, `${dest}-journal`].filter((f) => existsSync(f));
      if (leftovers.length > 0 && !opts.force) {
        throw new InvalidArgumentError(`${leftovers[0]} already exists: pass --force to replace it, or give another file`);
      }
      // Refuses a missing file or one without clerk-sync's tables, as every reading command does.
      await (await openExistingDatabase(opts.db)).close();

      const started = performance.now();
      const partial = `${dest}.partial-${process.pid}`;
      const removePartial = () => {
        for (const f of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
      };
      const interrupted = () => {
        removePartial();
        process.exit(130);
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      try {
        const result = await copyDatabase(source, partial);
        // The copy holds what the database holds: no wider access than the database has.
        chmodSync(partial, statSync(source).mode & 0o777);
        // With --force, an older backup's -wal must not be replayed onto the new file.
        for (const f of leftovers) rmSync(f, { force: true });
        rmSync(`${dest}-shm`, { force: true });
        renameSync(partial, dest);
        fsyncDirectory(dirname(dest));
        const mib = (result.pages * result.pageSize) / 1024 / 1024;
        const ms = Math.round(performance.now() - started);
        const restarts = result.restarts > 0 ? `; the database changed during the copy, so it started over ${result.restarts} time${result.restarts === 1 ? '' : 's'} in bigger steps` : '';
        console.log(`backed up ${source} to ${dest}: ${result.pages} pages (${mib.toFixed(1)} MiB), quick_check ok, ${ms} ms${restarts}`);
      } catch (error) {
        removePartial();
        throw error;
      } finally {
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
      }
    });
}

interface CopyResult {
  pages: number;
  pageSize: number;
  restarts: number;
}

/**
 * SQLite's online backup, from a connection of its own: each step copies some pages under a
 * short read transaction, so serve's commits never wait for it. A commit by another connection
 * between two steps makes SQLite start the copy over (that is what keeps it consistent), so each
 * restart copies in bigger steps, the third in one step, which is one read snapshot: it always
 * finishes. Then the copy is switched to a rollback journal (one self-contained file) and checked.
 */
async function copyDatabase(source: string, partial: string): Promise<CopyResult> {
  // Loaded here: `clerk-sync` on PostgreSQL never loads SQLite's driver.
  const { default: Driver } = await import('better-sqlite3');
  const db = new Driver(source, { fileMustExist: true });
  let restarts = 0;
  // The bar of the current pass over the pages; a restart ends it and the next pass draws anew.
  const bar: { progress: Progress | null; reported: number } = { progress: null, reported: 0 };
  try {
    db.pragma('busy_timeout = 5000');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pageCount = db.pragma('page_count', { simple: true }) as number;
    const showProgress = pageCount * pageSize >= PROGRESS_FROM_BYTES;
    let step = Math.max(256, Math.ceil(pageCount / STEPS));
    let copiedBefore = -1;
    const { totalPages } = await db.backup(partial, {
      progress: ({ totalPages: total, remainingPages }) => {
        const copied = total - remainingPages;
        if (copied <= copiedBefore) {
          restarts++;
          step = restarts >= 2 ? ALL_PAGES : Math.max(step, Math.ceil(total / 10));
          if (bar.progress) {
            bar.progress.done();
            bar.progress.note(`backup: the database changed during the copy; starting over${step === ALL_PAGES ? ' in one step' : ' in bigger steps'}`);
          }
          bar.progress = null;
          bar.reported = 0;
        }
        copiedBefore = copied;
        if (showProgress) {
          bar.progress ??= createProgress({ label: 'backup', unit: ' pages', total });
          bar.progress.add(copied - bar.reported, total);
          bar.reported = copied;
        }
        return step;
      },
    });
    if (bar.progress) {
      bar.progress.add(totalPages - bar.reported, totalPages);
      bar.progress.done();
    }
    finishCopy(Driver, partial);
    return { pages: totalPages, pageSize, restarts };
  } finally {
    db.close();
  }
}

/** A plain rollback-journal file, checked: the copy of a WAL database is marked WAL too. */
function finishCopy(Driver: typeof BetterSqlite3, partial: string): void {
  const copy = new Driver(partial, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const problems = (copy.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new Error(`the copy failed SQLite's quick_check, so it was not kept: ${problems.slice(0, 5).join('; ')}. Run \`sqlite3 <db> 'pragma integrity_check'\` on the database itself`);
    }
  } finally {
    copy.close();
  }
  const size = statSync(partial).size;
  if (size === 0) throw new Error('the copy is empty, so it was not kept');
}

/** Makes the rename durable (best effort: not every file system allows fsync on a directory). */
function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The file itself is already on disk; only the name may need the next sync.
  }
}
