// For tests: run real cells through the same runner `deno task interop` uses and hand back the
// results, so tests judge what two real programs did on a real socket.

import { planCells, planInfo } from "../runner/plan.ts";
import { runMatrix } from "../runner/run.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import type { Implementation } from "../peers/implementation.ts";
import { readRun, type Run } from "../report/read.ts";
import type { Evidence, Result } from "../report/schema.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { SUITES } from "../../suites/index.ts";
import type { Case, Expectation } from "../contract/case.ts";

/** Runs the selected cells in a scratch report; the run is read back from disk like any other. */
export async function recordRun(
  selection: Parameters<typeof planCells>[2],
  opts: {
    impls?: Implementation[];
    suites?: Record<string, Case[]>;
    keep?: (run: Run) => Promise<void>;
  } = {},
): Promise<Run> {
  const cells = planCells(opts.suites ?? SUITES, opts.impls ?? IMPLEMENTATIONS, selection);
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-cells-" });
  try {
    const id = newRunId();
    const store = new RunStore(`${dir}/${id}.json`, {
      id,
      command: ["test"],
      commit: null,
      plan: await planInfo(cells),
      cases: Object.fromEntries(
        cells.map((
          c,
        ) => [c.case.id, { suite: c.case.suite, title: c.case.title, expected: c.case.expect }]),
      ),
    });
    await runMatrix({ cells, store });
    const run = await readRun(store.path);
    // The evidence lives in the scratch directory: read it now, before it goes.
    await opts.keep?.(run);
    return run;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One recorded cell: its result, its evidence and what its case expected. */
export interface RecordedCell {
  result: Result;
  evidence: Evidence;
  expected: Expectation;
}

/** Runs one case for one client × server pair and returns it with its evidence. */
export async function recordCell(
  caseId: string,
  client = "ts",
  server = "ts",
): Promise<RecordedCell> {
  let evidence: Evidence | null = null;
  const run = await recordRun(
    { cases: [caseId], clients: [client], servers: [server] },
    { keep: async (r) => void (evidence = await r.evidence(r.report.results[0])) },
  );
  const result = run.report.results[0];
  if (!evidence) {
    throw new Error(`${caseId}: no evidence recorded (${result.outcome}: ${result.reason})`);
  }
  return { result, evidence, expected: run.report.cases[caseId].expected };
}
