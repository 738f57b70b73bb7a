// One status line on stderr that rewrites itself (`\r`, erase line), for long runs on a
// terminal only. It stays silent for the first second, so quick runs print nothing, and
// redraws at most every 100 ms. The clock and the writer are passed in; main.ts lends them.

export interface Progress {
  /** Shows `line` in place of the previous one (when due). */
  update(line: string): void;
  /** Erases the line if one was shown. */
  done(): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** Wall-clock milliseconds. */
  now: () => number;
  /** Terminal width: longer lines are cut so that `\r` can rewrite them. */
  columns?: number;
  /** Nothing is shown before this much wall time (ms). */
  delayMs?: number;
  /** Minimum time between redraws (ms). */
  intervalMs?: number;
}

const ERASE_LINE = '\r\x1b[2K';

export function createProgress({ write, now, columns = 80, delayMs = 1000, intervalMs = 100 }: ProgressOptions): Progress {
  const start = now();
  let lastDraw = -Infinity;
  let shown = false;
  // A pseudo-terminal may report 0 columns.
  const width = columns > 1 ? columns : 80;
  return {
    update(line) {
      const t = now();
      if (t - start < delayMs || t - lastDraw < intervalMs) return;
      lastDraw = t;
      shown = true;
      write(ERASE_LINE + [...line].slice(0, width - 1).join(''));
    },
    done() {
      if (shown) write(ERASE_LINE);
      shown = false;
    },
  };
}
