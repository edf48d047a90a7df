/**
 * A progress line on stderr. On a terminal it redraws one line (bar, counts, rate, ETA); piped
 * or in CI it prints a plain line at most once a second, and always the final one.
 */
export interface Progress {
  /** Adds `n` done items; `total` updates the expected total when it becomes known. */
  add(n: number, total?: number | null): void;
  /** A note on its own line (rate limited, retrying...), without breaking the bar. */
  note(text: string): void;
  /** Prints the final state and ends the line. */
  done(suffix?: string): void;
}

export interface ProgressOptions {
  label: string;
  total?: number | null;
  /** Count already done before this run (a resumed import). */
  initial?: number;
  stream?: NodeJS.WriteStream;
  /** Force the terminal or the plain form; default: the stream's isTTY. */
  tty?: boolean;
  unit?: string;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const unit = options.unit ?? '';
  const started = performance.now();
  let count = options.initial ?? 0;
  let doneThisRun = 0;
  let total = options.total ?? null;
  let lastPlain = -Infinity;
  let countAtLastPlain = -1;
  let drawn = false;

  const line = (): string => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? doneThisRun / seconds : 0;
    const counts = total !== null ? `${count}/${total}${unit}` : `${count}${unit}`;
    const rateText = `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`;
    let bar = '';
    let left = '';
    if (total !== null && total > 0) {
      const share = Math.min(1, count / total);
      const width = 24;
      const filled = Math.round(share * width);
      bar = tty ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ` : `${Math.floor(share * 100)}%  `;
      if (rate > 0 && count < total) left = `  eta ${eta((total - count) / rate)}`;
    }
    return `${options.label}  ${bar}${counts}  ${rateText}${left}`;
  };
  const draw = (force = false) => {
    if (tty) {
      stream.write(`\r\x1b[2K${line()}`);
      drawn = true;
    } else if (force || performance.now() - lastPlain >= 1000) {
      stream.write(`${line()}\n`);
      lastPlain = performance.now();
      countAtLastPlain = count;
    }
  };
  return {
    add(n, newTotal) {
      count += n;
      doneThisRun += n;
      if (newTotal !== undefined && newTotal !== null) total = newTotal;
      draw();
    },
    note(text) {
      if (tty && drawn) stream.write('\r\x1b[2K');
      stream.write(`${text}\n`);
      if (tty) draw();
    },
    done(suffix = '') {
      if (tty) stream.write(`\r\x1b[2K${line()}${suffix}\n`);
      else if (count !== countAtLastPlain || suffix) stream.write(`${line()}${suffix}\n`);
    },
  };
}
