// `deno task bench:matrix [selection flags of deno task interop]`: how fast the matrix runs.
// Times the selected cells the normal way (one long-lived sandbox per implementation, cells run
// inside via exec) and again with a sandbox opened and closed for every cell, which is what the
// one-container-per-cell design would cost. Prints cells per second for both.

import { parseArgs } from "./args.ts";
import { planCells, UsageError } from "./plan.ts";
import { silentProgress } from "./progress.ts";
import { runMatrix } from "./run.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { planInfo } from "./plan.ts";
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
    const passed = report.totals.pass;
    console.log(
      `${label.padEnd(28)} ${ran} cells run (${passed} pass) in ${seconds.toFixed(1)} s = ` +
        `${(ran / seconds).toFixed(2)} cells/s${report.timing.cold ? " (cold: images built)" : ""}`,
    );
    return ran / seconds;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    // The first run also warms images and the PKI, so both timings measure cells only.
    const shared = await timeRun("sandbox per implementation", Deno.args, false);
    const perCell = await timeRun("sandbox per cell", Deno.args, true);
    console.log(`one sandbox per implementation is ${(shared / perCell).toFixed(1)}× faster`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.log(`bench:matrix: ${e.message}`);
    Deno.exit(2);
  }
}
