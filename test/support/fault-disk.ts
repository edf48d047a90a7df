import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { onFileEnd, tempDir } from './env.js';
import { need, rootUser, tool, type Need } from './prerequisites.js';

/**
 * Real storage faults for SQLite, made with the kernel (the tests run as root): a tiny tmpfs to
 * fill up, and a small ext4 image that can be made to fail the way a dying disk does, by going
 * read-only under a running process (errors=remount-ro).
 */

/** What these disks need: root allowed to mount (a container must be privileged), and the tools that make them. */
export function faultDiskPrerequisites(): Need[] {
  const tools = [tool('mount', 'apt-get install mount'), tool('umount', 'apt-get install mount'), tool('losetup', 'apt-get install mount'), tool('findmnt', 'apt-get install util-linux'), tool('truncate', 'apt-get install coreutils'), tool('mkfs.ext4', 'apt-get install e2fsprogs'), tool('e2fsck', 'apt-get install e2fsprogs')];
  const root = rootUser('the tests mount a tmpfs and an ext4 image');
  const mount = need(() => {
    if (root.missing() || tools.some((t) => t.missing())) return null;
    const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-mount-check-'));
    try {
      run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
      run('umount', [dir]);
      return null;
    } catch (error) {
      return `permission to mount (mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim().split('\n')[0]}): in a container, run it --privileged`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return [root, ...tools, mount];
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function unmountAtEnd(dir: string): void {
  onFileEnd(() => {
    try {
      run('umount', ['-l', dir]);
    } catch {}
  });
}

export interface FullableDisk {
  dir: string;
  /** Writes a filler file until the disk is full. */
  fill(): void;
  /** Deletes the filler: the space is back. */
  free(): void;
}

/** A tmpfs of `sizeBytes`, unmounted when the test file ends. */
export function tinyTmpfs(sizeBytes: number): FullableDisk {
  const dir = join(tempDir(), 'tmpfs');
  mkdirSync(dir);
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  unmountAtEnd(dir);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      // The last partial chunk may have left a few bytes; take those too.
      const fd2 = openSync(filler, 'a');
      try {
        for (;;) writeSync(fd2, Buffer.alloc(512));
      } catch {
      } finally {
        closeSync(fd2);
      }
    },
    free() {
      unlinkSync(filler);
    },
  };
}

export interface FailingDisk {
  dir: string;
  /** The file system goes read-only at once, as ext4 does on an I/O error (emergency_ro). */
  failReadOnly(): void;
  /** What an operator does after the fault: unmount, fsck, mount again (every user must have exited). */
  repair(): void;
}

/** A small ext4 image on a loop device, mounted with errors=remount-ro. */
export function ext4Disk(sizeMb: number): FailingDisk {
  const root = tempDir();
  const image = join(root, 'disk.img');
  const dir = join(root, 'mnt');
  mkdirSync(dir);
  run('truncate', ['-s', `${sizeMb}M`, image]);
  run('mkfs.ext4', ['-q', '-F', image]);
  const mount = () => run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mount();
  unmountAtEnd(dir);
  onFileEnd(() => rmSync(image, { force: true }));
  const device = () => execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir], { encoding: 'utf8' }).trim();
  return {
    dir,
    failReadOnly() {
      execFileSync('sh', ['-c', `echo 1 > /sys/fs/ext4/${basename(device())}/trigger_fs_error`]);
    },
    repair() {
      run('umount', [dir]);
      try {
        run('e2fsck', ['-f', '-y', image]);
      } catch (error) {
        // Exit status 1: errors were corrected, which is the point.
        if ((error as { status?: number }).status !== 1) throw error;
      }
      mount();
    },
  };
}
