// What the person running `deno task interop` sees while it runs: on a terminal one line that
// updates in place (cells done/total, what is running, ETA, or the image build under way);
// elsewhere (CI logs) one plain line per finished cell. Unsupported cells are counted, not listed:
// the matrix shows them. A message that ends in "(N s)" is a tick of something still going (the
// runtime sends `image rustls: step 3/12 : RUN … (45 s)` every 5 s during a build): on a terminal
// it replaces the live line instead of adding a line; in a log it is printed when its step changes
// or every TICK_EVERY_MS, so a long build shows it is alive without flooding the log.

import type { Cell } from "./plan.ts";
import { SYMBOLS } from "../report/matrix.ts";
import type { Result } from "../report/schema.ts";

export interface Progress {
  /** A bring-up step or other message worth a line of its own; "… (N s)" is a tick (see above). */
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

/** In a log, a tick whose step has not changed is repeated at most this often. */
export const TICK_EVERY_MS = 30_000;

/** "image rustls: step 3/12 : RUN cargo build (45 s)" → subject, step and seconds; else null. */
export function parseTick(text: string): { subject: string; step: string } | null {
  const m = text.match(/^([^:]+): (.*?)\s*\((\d+) s\)$/);
  return m ? { subject: m[1], step: m[2] } : null;
}

export function consoleProgress(
  tty = Deno.stdout.isTerminal(),
  write: (s: string) => void = (s) => void Deno.stdout.writeSync(new TextEncoder().encode(s)),
): Progress {
  let total = 0;
  let runnable = 0;
  let done = 0;
  let ran = 0;
  let runMs = 0;
  let startedAt = 0;
  const running = new Map<Cell, number>();
  let live = false;
  /** The latest tick per subject still going, in the order they started. */
  const ticks = new Map<string, string>();
  const logged = new Map<string, { step: string; at: number }>();

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
    const going = [...ticks.values()].join(" · ");
    const cells = `[${done}/${total}] ${eta()}  running: ${names || "—"}`;
    // Before the cells start (images being built) the ticks are all there is to show.
    const text = startedAt === 0
      ? going || (total ? cells : "")
      : going
      ? `${cells} · ${going}`
      : cells;
    if (!text) return clear();
    const cols = consoleColumns();
    clear();
    write(text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text);
    live = true;
  };

  return {
    line(text) {
      const tick = parseTick(text);
      if (tick) {
        ticks.set(tick.subject, text);
        if (tty) return redraw();
        const last = logged.get(tick.subject);
        const now = performance.now();
        if (last && last.step === tick.step && now - last.at < TICK_EVERY_MS) return;
        logged.set(tick.subject, { step: tick.step, at: now });
        return write(`${text}\n`);
      }
      // A message about a subject ends its ticks ("image rustls: … built in 120 s").
      const subject = text.split(": ")[0];
      ticks.delete(subject);
      logged.delete(subject);
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
