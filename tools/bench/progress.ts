/** Progress lines on stderr while a measurement runs: one rewritten line on a terminal, else a line every few seconds. */

export interface Progress {
  /** Starts a phase (printed on its own line). */
  phase(title: string): void;
  /** Updates the current phase's counter. */
  update(done: number, total: number, detail?: string): void;
  /** A line of its own (a figure, a note). */
  note(line: string): void;
}

/** Progress on `stream` (default stderr). */
export function consoleProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let title = '';
  let lastPrinted = 0;
  let open = false;
  const close = () => {
    if (open) stream.write('\n');
    open = false;
  };
  return {
    phase(next) {
      close();
      title = next;
      stream.write(`▸ ${next}\n`);
    },
    update(done, total, detail) {
      const line = `  ${title}: ${done}/${total}${detail ? `  ${detail}` : ''}`;
      if (tty) {
        stream.write(`\r${line}\u001b[K`);
        open = true;
      } else if (Date.now() - lastPrinted > 5_000 || done >= total) {
        stream.write(`${line}\n`);
        lastPrinted = Date.now();
      }
    },
    note(line) {
      close();
      stream.write(`  ${line}\n`);
    },
  };
}

/** Progress that prints nothing (tests, `--quiet`). */
export const silentProgress: Progress = { phase() {}, update() {}, note() {} };
