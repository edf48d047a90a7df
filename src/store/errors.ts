/**
 * What the drivers' errors mean, in one place: better-sqlite3 gives SQLITE_* codes (extended ones
 * included), node-pg gives SQLSTATEs or a socket error's code.
 */

/** The driver's code for an error, or for the error it wraps; '' when it has none. */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return String(e?.code ?? e?.cause?.code ?? '');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The database server cannot be reached (down, restarting, the network): worth retrying later. */
export function isUnreachable(error: unknown): boolean {
  const code = errorCode(error);
  return (
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|57P0[1-3]|08\d{3})$/.test(code) ||
    /connection (terminated|error|refused)|terminating connection|timeout exceeded when trying to connect|not queryable/i.test(message(error))
  );
}

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
export function isLockConflict(error: unknown): boolean {
  const code = errorCode(error);
  return code === '40P01' || code === '40001';
}

/**
 * The database refused a value itself, so the same event fails the same way every time: a data
 * exception (SQLSTATE class 22: a value out of range, bad encoding, bad input syntax), a program
 * limit (class 54: an index entry too large, nesting too deep), or SQLite's too big / type mismatch.
 */
export function isContentError(error: unknown): boolean {
  const code = errorCode(error);
  return /^(22|54)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(TOOBIG|MISMATCH|RANGE)/.test(code);
}

/** What went wrong with the database, and what the operator should do about it. */
export function storeProblem(error: unknown): string {
  const code = errorCode(error);
  if (code.startsWith('SQLITE_FULL') || code === '53100') return 'the disk holding the database is full; free disk space or move the database to a larger disk';
  if (code.startsWith('SQLITE_READONLY') || code === '25006') return 'the database is read-only; make the database file, its directory and its disk writable by this process';
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) return 'the database file cannot be opened for writing; check that it and its directory exist and are writable by this process';
  if (code.startsWith('SQLITE_IOERR')) return 'the disk reported an I/O error writing the database (it may have failed or gone read-only); check the disk and its mount';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the database is locked by another process; find what holds it or raise its timeout';
  if (code === 'ENOTFOUND') return "the database's host name does not resolve; check the host in the database URL";
  if (isUnreachable(error)) return 'the database server is unreachable; check that it is running and reachable';
  return 'the database refused the write; check its logs';
}
