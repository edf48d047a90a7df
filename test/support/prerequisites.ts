/**
 * What a test needs from the machine beyond Node and npm (README: "Running the tests"). A file
 * that needs something calls requireForFile() at its top, a single test requireForTest(); when
 * something is missing they fail at once with ONE line naming what to install, never a skip and
 * never a stack from deep inside mount, runuser or Playwright.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** One thing a test needs: `missing()` is null when the machine has it, else what to do, e.g. "openssl: apt-get install openssl". */
export interface Need {
  missing(): string | null;
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The path of `name` on PATH or in the sbin directories (which a non-root PATH often leaves out), or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) if (isExecutable(join(dir, name))) return join(dir, name);
  return null;
}

/** A command, found on PATH (or in an sbin directory). */
export function tool(name: string, install: string): Need {
  return { missing: () => (findTool(name) ? null : `${name}: ${install}`) };
}

/** An executable at a fixed path. */
export function executable(path: string, what: string, install: string): Need {
  return { missing: () => (isExecutable(path) ? null : `${what} at ${path}: ${install}`) };
}

/** Running as root. */
export function rootUser(why: string): Need {
  return { missing: () => (process.getuid?.() === 0 ? null : `root (${why}): run the tests as root, e.g. in a container or VM made for them`) };
}

/** An operating-system user. */
export function osUser(name: string, why: string): Need {
  return {
    missing: () => {
      try {
        execFileSync('id', ['-u', name], { stdio: 'ignore' });
        return null;
      } catch {
        return `an OS user \`${name}\` (${why}): useradd --system --no-create-home ${name}`;
      }
    },
  };
}

/** A condition of its own: `check()` returns null when met, else what to do. */
export function need(check: () => string | null): Need {
  return { missing: check };
}

/** Under root, PostgreSQL and PgBouncer refuse to run, so the tests start them as the `postgres` user (with runuser). */
export function postgresUserIfRoot(): Need {
  return {
    missing: () => {
      if (process.getuid?.() !== 0) return null;
      return osUser('postgres', 'PostgreSQL and PgBouncer refuse to run as root, so the tests run them as `postgres`').missing() ?? tool('runuser', 'apt-get install util-linux').missing();
    },
  };
}

function problem(what: string, needs: Need[]): string | null {
  const missing = needs.map((n) => n.missing()).filter((m): m is string => m !== null);
  return missing.length === 0 ? null : `${what} needs ${missing.join('; ')}`;
}

/**
 * At the top of a test file: if anything is missing, the file fails with one line on stderr
 * (the test runner shows it above the file's failure) and registers no test.
 */
export function requireForFile(what: string, ...needs: Need[]): void {
  const line = problem(what, needs);
  if (line === null) return;
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

/** Inside a test: if anything is missing, the test fails with one line. */
export function requireForTest(what: string, ...needs: Need[]): void {
  const line = problem(what, needs);
  if (line === null) return;
  const error = new Error(line);
  error.stack = line;
  throw error;
}
