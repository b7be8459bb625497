// The judge: one way from what happened in a cell to its outcome. In order:
//   1. process.ts    outcomes decided before comparing (harness broke, unsupported at run time,
//                    the server never listened, a timeout, a crash);
//   2. observe.ts    the wire and both programs' reports merged into one Observation;
//   3. conformance.ts for conformance cases (the reference peer misbehaved on purpose), or
//      expectation.ts for every other case: the Observation against what the case expects.

import type { Case } from "../contract/case.ts";
import type { ConformanceFinding, Observation, Outcome } from "../report/schema.ts";
import { judgeConformance } from "./conformance.ts";
import { judge } from "./expectation.ts";
import { observe } from "./observe.ts";
import { processOutcome } from "./process.ts";
import type { CellRun } from "./run.ts";

export type { CellRun, SideRun } from "./run.ts";

export interface CellVerdict {
  outcome: Outcome;
  reason: string;
  observation: Observation;
  conformance?: ConformanceFinding;
}

export function judgeCell(c: Case, run: CellRun): CellVerdict {
  const observation = observe(run.wire, run.client.report, run.server.report);
  observation.disagreements.push(...run.wireProblems.map((p) => `wire: ${p}`));
  const early = processOutcome(run);
  if (early) return { ...early, observation };
  return c.conformance
    ? { ...judgeConformance(c, observation), observation }
    : { ...judge(c.expect, observation), observation };
}
