// For tests: run real cells through the same runner `deno task interop` uses and hand back the
// results, so tests judge what two real programs did on a real socket.

import { planCells } from "./plan.ts";
import { runMatrix } from "./run.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import type { Result } from "../report/schema.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { SUITES } from "../../suites/index.ts";

/** Runs one case for one client × server pair and returns its result. */
export async function recordCell(caseId: string, client = "ts", server = "ts"): Promise<Result> {
  const cells = planCells(SUITES, IMPLEMENTATIONS, {
    cases: [caseId],
    clients: [client],
    servers: [server],
  });
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-cell-" });
  try {
    const store = new RunStore(`${dir}/report.json`, newRunId(), ["test", caseId]);
    const report = await runMatrix({ cells, store });
    return report.results[0];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
