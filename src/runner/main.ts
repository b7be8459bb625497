// `deno task interop`: plan the matrix, run it, print it, write the reports, and exit non-zero
// on a regression against reports/expected.json. Exit codes: 0 fine, 1 regression, 2 bad input
// (unknown name, bad manifest, corrupt expectations file), 130 interrupted.

import { parseArgs, USAGE } from "./args.ts";
import { type Cell, planCells, planInfo, shardOf, UsageError } from "./plan.ts";
import { consoleProgress, duration, type Progress } from "./progress.ts";
import { runMatrix } from "./run.ts";
import { implementationsWith, ManifestError } from "../peers/index.ts";
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
import { readRun } from "../report/read.ts";
import { type CaseInfo, cellId, OUTCOMES, type Report } from "../report/schema.ts";
import { newRunId, RunStore, writeAtomically } from "../report/store.ts";
import { runHost } from "../runtime/host.ts";
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

  let options, all: Cell[], cells: Cell[], expected: Expected;
  try {
    options = parseArgs(argv);
    if (options.help) {
      print(USAGE);
      return 0;
    }
    const implementations = await implementationsWith(options.implFiles);
    all = planCells(SUITES, implementations, options.selection);
    cells = options.shard ? shardOf(all, options.shard) : all;
    if (options.list) {
      listPlan(
        cells,
        implementations.filter((i) => all.some((c) => c.client === i || c.server === i)),
        print,
      );
      return 0;
    }
    expected = await readExpected(options.expected);
  } catch (e) {
    if (e instanceof ManifestError) {
      for (const line of e.problems) print(line);
      return 2;
    }
    if (e instanceof UsageError || e instanceof ExpectedFileError) return fail(e.message, 2);
    throw e;
  }
  if (cells.length === 0) return fail("the selection has no cells", 2);

  const id = newRunId();
  const cases: Record<string, CaseInfo> = {};
  for (const c of cells) {
    cases[c.case.id] ??= { suite: c.case.suite, title: c.case.title, expected: c.case.expect };
  }
  const store = new RunStore(options.report ?? `${REPO_ROOT}/reports/runs/${id}.json`, {
    id,
    command: ["deno task interop", ...argv],
    commit: await commit(),
    plan: await planInfo(all, options.shard ?? undefined),
    cases,
  });
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
  } catch (e) {
    // A bug of ours, not a cell's outcome: keep what ran, say where, and fail the run.
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    store.interruptSync(`the runner stopped: ${why}`);
    return fail(`the runner stopped: ${why}; the cells that ran are in ${store.path}`, 1);
  } finally {
    stopSignals();
  }

  printSummary(report, store.path, print);
  if (options.junit) await writeAtomically(options.junit, await toJUnit(await readRun(store.path)));
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

/** The project's commit, so shards of one plan can be checked to come from one checkout. */
async function commit(): Promise<string | null> {
  const r = await runHost(["git", "-C", REPO_ROOT, "rev-parse", "--short=12", "HEAD"], {
    timeoutMs: 5_000,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

function listPlan(
  cells: Cell[],
  implementations: { id: string }[],
  print: (l: string) => void,
): void {
  const cases = [...new Map(cells.map((c) => [c.case.id, c.case])).values()];
  for (const c of cases) print(`${c.id.padEnd(44)} ${c.title}`);
  print("");
  print(`implementations: ${implementations.map((i) => i.id).join(", ")}`);
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
