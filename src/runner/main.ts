// `deno task interop`: plan the matrix, run it, print it, write the reports, and exit non-zero
// on a regression against reports/expected.json. Exit codes: 0 fine, 1 regression, 2 bad input
// (unknown name, corrupt expectations file), 130 interrupted.

import { parseArgs, USAGE } from "./args.ts";
import { planCells, UsageError } from "./plan.ts";
import { consoleProgress, duration, type Progress } from "./progress.ts";
import { runMatrix } from "./run.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import {
  type Expected,
  ExpectedFileError,
  readExpected,
  updatedExpected,
  writeExpected,
} from "../report/expected.ts";
import { toJUnit } from "../report/junit.ts";
import { toMarkdown } from "../report/markdown.ts";
import { LEGEND, matrixTables, renderText } from "../report/matrix.ts";
import { cellId, OUTCOMES, type Report } from "../report/schema.ts";
import { newRunId, RunStore, writeAtomically } from "../report/store.ts";
import { REPO_ROOT } from "../runtime/paths.ts";
import { SUITES } from "../../suites/index.ts";

export interface MainOptions {
  /** Instead of SIGINT/SIGTERM handling (tests abort through this). */
  signal?: AbortSignal;
  progress?: Progress;
  print?: (line: string) => void;
}

export async function main(argv: string[], io: MainOptions = {}): Promise<number> {
  const print = io.print ?? ((l: string) => console.log(l));
  const fail = (message: string, code: number) => {
    print(`interop: ${message}`);
    return code;
  };

  let options, cells, expected: Expected;
  try {
    options = parseArgs(argv);
    if (options.help) {
      print(USAGE);
      return 0;
    }
    cells = planCells(SUITES, IMPLEMENTATIONS, options.selection);
    if (options.list) {
      listPlan(cells, print);
      return 0;
    }
    expected = await readExpected(options.expected);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ExpectedFileError) return fail(e.message, 2);
    throw e;
  }
  if (cells.length === 0) return fail("the selection has no cells", 2);

  const id = newRunId();
  const store = new RunStore(options.report ?? `${REPO_ROOT}/reports/runs/${id}.json`, id, [
    "deno task interop",
    ...argv,
  ]);
  const controller = new AbortController();
  const signal = io.signal ?? controller.signal;
  const stopSignals = io.signal ? () => {} : onSignals((name) => {
    // Write now: the sandboxes' own handler may end the process as soon as containers are gone.
    store.interruptSync(`interrupted by ${name}`);
    controller.abort(`interrupted by ${name}`);
  });

  let report: Report;
  try {
    report = await runMatrix({
      cells,
      store,
      jobs: options.jobs,
      timeoutMs: options.timeoutMs,
      expected,
      signal,
      progress: io.progress ?? consoleProgress(),
    });
  } finally {
    stopSignals();
  }

  printSummary(report, store.path, print);
  if (options.junit) await writeAtomically(options.junit, toJUnit(report));
  const summaryFile = options.markdown ?? Deno.env.get("GITHUB_STEP_SUMMARY");
  if (summaryFile) {
    if (options.markdown) await writeAtomically(summaryFile, toMarkdown(report));
    else await Deno.writeTextFile(summaryFile, toMarkdown(report), { append: true });
  }
  if (options.updateExpected && report.complete) {
    const next = updatedExpected(expected, report.results);
    await writeExpected(next, options.expected);
    print(`${options.expected}: ${next.mustPass.length} cells must pass`);
    return 0;
  }
  if (!report.complete) return 130;
  return report.regressions.length ? 1 : 0;
}

function listPlan(cells: ReturnType<typeof planCells>, print: (l: string) => void): void {
  const cases = [...new Map(cells.map((c) => [c.case.id, c.case])).values()];
  for (const c of cases) print(`${c.id.padEnd(44)} ${c.title}`);
  print("");
  print(`implementations: ${IMPLEMENTATIONS.map((i) => i.id).join(", ")}`);
  const runnable = cells.filter((c) => !c.unsupported).length;
  print(`${cells.length} cells (${runnable} runnable, ${cells.length - runnable} unsupported)`);
}

function printSummary(report: Report, path: string, print: (l: string) => void): void {
  print("");
  for (const table of matrixTables(report)) print(`${renderText(table)}\n`);
  print(LEGEND);
  print(
    OUTCOMES.map((o) => `${o} ${report.totals[o]}`).join(", ") +
      (report.timing.wallMs === null ? "" : ` in ${duration(report.timing.wallMs)}`) +
      (report.timing.cold ? " (cold: images were built)" : ""),
  );
  if (report.interrupted) {
    print(`run ${report.interrupted}; the report holds the cells that finished`);
  }
  for (const id of report.regressions) {
    const r = report.results.find((x) => cellId(x) === id);
    print(`REGRESSION ${id}: ${r ? `${r.outcome}: ${r.reason}` : "did not run"}`);
  }
  print(`report: ${path}`);
}

/** SIGINT/SIGTERM → handler (once); returns the function that removes the listeners. */
function onSignals(handler: (name: string) => void): () => void {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  let fired = false;
  const listeners = signals.map((name) => {
    const l = () => {
      if (fired) Deno.exit(130); // a second Ctrl-C: the user means it
      fired = true;
      handler(name);
    };
    Deno.addSignalListener(name, l);
    return [name, l] as const;
  });
  return () => listeners.forEach(([name, l]) => Deno.removeSignalListener(name, l));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
