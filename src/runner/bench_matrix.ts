// `deno task bench:matrix [selection flags of deno task interop]`: how fast the matrix runs, and
// where a cell's time goes. Runs the selected cells the normal way (one long-lived sandbox per
// implementation, programs started through its launcher, the reference peer in-process) and
// again with a sandbox opened and closed for every cell, which is what one container per cell
// would cost. Prints cells per second for both, their ratio, and for the normal run the median and
// 90th percentile of each phase of a cell:
//   start   the server program started until it listened
//   client  the client's run: connect, handshake, exchange, close
//   stop    waiting for the server to end after the client
//   judge   the judge's verdict
//   write   appending the cell to the journal and the evidence file
// and of the handshake itself, per kind of pair (ts↔ts, ts↔library, library↔library).

import { parseArgs } from "./args.ts";
import { planCells, planInfo, UsageError } from "./plan.ts";
import { silentProgress } from "./progress.ts";
import { runMatrix } from "./run.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import type { Report, Result } from "../report/schema.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { SUITES } from "../../suites/index.ts";

async function timeRun(label: string, argv: string[], sandboxPerCell: boolean) {
  const options = parseArgs(argv);
  const cells = planCells(SUITES, IMPLEMENTATIONS, options.selection);
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-bench-" });
  const id = newRunId();
  const store = new RunStore(`${dir}/${id}.json`, {
    id,
    command: ["bench:matrix", label],
    commit: null,
    plan: await planInfo(cells),
    cases: {},
  });
  try {
    const started = performance.now();
    const report = await runMatrix({
      cells,
      store,
      jobs: options.jobs,
      timeoutMs: options.timeoutMs,
      progress: silentProgress,
      sandboxPerCell,
    });
    const seconds = (performance.now() - started) / 1000;
    const ran = report.results.filter((r) => r.outcome !== "unsupported").length;
    console.log(
      `${label.padEnd(28)} ${ran} cells run (${report.totals.pass} pass) in ${
        seconds.toFixed(1)
      } s = ${(ran / seconds).toFixed(2)} cells/s${
        report.timing.cold ? " (cold: images built)" : ""
      }`,
    );
    return { rate: ran / seconds, report };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const quantile = (xs: number[], q: number) =>
  xs.length
    ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]
    : NaN;

/** The median and 90th percentile of each phase, over the cells that ran. */
function breakdown(report: Report): void {
  const ran = report.results.filter((r) => r.durations.phases);
  const kind = (r: Result) =>
    r.client === "ts" && r.server === "ts"
      ? "ts↔ts"
      : r.client === "ts" || r.server === "ts"
      ? "ts↔library"
      : "library↔library";
  console.log("\nwhere a cell's time goes (ms, median / 90th percentile):");
  console.log(
    `${"".padEnd(18)}${
      ["start", "client", "stop", "judge", "write", "cell", "handshake"].map((h) => h.padStart(14))
        .join("")
    }`,
  );
  for (const k of ["ts↔ts", "ts↔library", "library↔library"]) {
    const rs = ran.filter((r) => kind(r) === k);
    if (!rs.length) continue;
    const col = (f: (r: Result) => number | null | undefined) => {
      const xs = rs.map(f).filter((x): x is number => typeof x === "number");
      // Whole milliseconds from 100 up, so a column never runs into the next.
      const ms = (x: number) => x.toFixed(x < 100 ? 1 : 0);
      return ` ${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.9))}`.padStart(14);
    };
    console.log(
      `${`${k} (${rs.length})`.padEnd(18)}${col((r) => r.durations.phases!.startMs)}${
        col((r) => r.durations.phases!.clientMs)
      }${col((r) => r.durations.phases!.stopMs)}${col((r) => r.durations.phases!.judgeMs)}${
        col((r) => r.durations.phases!.writeMs)
      }${col((r) => r.durations.totalMs)}${col((r) => r.durations.handshakeMs)}`,
    );
  }
}

if (import.meta.main) {
  try {
    if (parseArgs(Deno.args).help) {
      console.log("usage: deno task bench:matrix [the selection flags of deno task interop]");
      console.log("(deno task interop --help lists them; the default is the whole matrix)");
      Deno.exit(0);
    }
    // The first run also warms images and the PKI, so both timings measure cells only.
    const shared = await timeRun("sandbox per implementation", Deno.args, false);
    const perCell = await timeRun("sandbox per cell", Deno.args, true);
    console.log(
      `one sandbox per implementation is ${(shared.rate / perCell.rate).toFixed(1)}× faster`,
    );
    breakdown(shared.report);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.log(`bench:matrix: ${e.message}`);
    Deno.exit(2);
  }
}
