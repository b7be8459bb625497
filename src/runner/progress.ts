// What the person running `deno task interop` sees while it runs: on a terminal one line that
// updates in place (cells done/total, what is running, ETA); elsewhere (CI logs) one plain line
// per finished cell. Unsupported cells are counted, not listed: the matrix shows them.

import type { Cell } from "./plan.ts";
import { SYMBOLS } from "../report/matrix.ts";
import type { Result } from "../report/schema.ts";

export interface Progress {
  /** A bring-up step or other message worth a line of its own. */
  line(text: string): void;
  /** The run's size: all cells, and the ones that will actually run. */
  planned(total: number, runnable: number): void;
  started(cell: Cell): void;
  finished(cell: Cell, result: Result): void;
  /** Clears the live line before the summary is printed. */
  end(): void;
}

export const silentProgress: Progress = {
  line() {},
  planned() {},
  started() {},
  finished() {},
  end() {},
};

const label = (cell: Cell) => `${cell.case.id} ${cell.client.id}→${cell.server.id}`;

export function consoleProgress(
  tty = Deno.stdout.isTerminal(),
  write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
): Progress {
  let total = 0;
  let runnable = 0;
  let done = 0;
  let ran = 0;
  let runMs = 0;
  let startedAt = 0;
  const running = new Map<Cell, number>();
  let live = false;

  const clear = () => {
    if (live) write("\r\x1b[2K");
    live = false;
  };
  const eta = (): string => {
    if (ran === 0 || startedAt === 0) return "ETA …";
    const perCell = (performance.now() - startedAt) / ran;
    const left = Math.max(0, runnable - ran) * perCell;
    return `ETA ${duration(left)}`;
  };
  const redraw = () => {
    if (!tty) return;
    const names = [...running.keys()].map(label).join(", ");
    const text = `[${done}/${total}] ${eta()}  running: ${names || "—"}`;
    const cols = consoleColumns();
    clear();
    write(text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text);
    live = true;
  };

  return {
    line(text) {
      clear();
      write(`${text}\n`);
      redraw();
    },
    planned(t, r) {
      total = t;
      runnable = r;
      done = t - r; // unsupported cells are settled at planning time
      write(`${t} cells: ${r} to run, ${t - r} unsupported\n`);
    },
    started(cell) {
      if (startedAt === 0) startedAt = performance.now();
      running.set(cell, performance.now());
      redraw();
    },
    finished(cell, result) {
      running.delete(cell);
      done++;
      ran++;
      runMs += result.durations.totalMs;
      if (!tty) {
        const group = result.observed?.group ? ` ${result.observed.group}` : "";
        const secs = (result.durations.totalMs / 1000).toFixed(1);
        write(
          `[${done}/${total}] ${SYMBOLS[result.outcome]} ${result.outcome.padEnd(7)} ` +
            `${label(cell)}${group} (${secs} s)` +
            (result.outcome === "pass" ? "" : `: ${result.reason}`) + "\n",
        );
      }
      redraw();
    },
    end() {
      clear();
      if (ran) write(`ran ${ran} cells, ${duration(runMs)} of cell time\n`);
    },
  };
}

function consoleColumns(): number {
  try {
    const { columns } = Deno.consoleSize();
    return columns >= 40 ? columns : 100; // a pseudo-terminal may report 0
  } catch {
    return 100;
  }
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
