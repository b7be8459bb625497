// Outcomes decided before judging, from how the programs ended: the peer contract's exit codes
// (127 unsupported, 3 could not start, 2 usage) for programs that speak it, a crash, a timeout.

import assert from "node:assert/strict";
import { failedReport } from "../contract/report.ts";
import { processOutcome } from "./process.ts";
import type { CellRun, SideRun } from "./run.ts";

const side = (impl: string, over: Partial<SideRun> = {}): SideRun => ({
  impl,
  report: failedReport("nothing"),
  code: 1,
  signal: null,
  timedOut: false,
  output: "",
  contract: true,
  ...over,
});

const run = (client: Partial<SideRun>, server: Partial<SideRun> = {}): CellRun => ({
  client: side("lib", client),
  server: side("ts", { ...server }),
  wire: null,
  wireProblems: [],
  serverNeverReady: null,
  timeoutMs: 20_000,
  harnessBroke: null,
});

Deno.test("exit 127 with the contract's line is unsupported, with whose limit it is", () => {
  assert.deepEqual(
    processOutcome(run({ code: 127, output: "noise\nunsupported: lacks: no MLKEM512 here\n" })),
    {
      outcome: "unsupported",
      reason: "Unsupported: lib as client: library lacks it: no MLKEM512 here.",
    },
  );
  assert.match(
    processOutcome(run({ code: 127, output: "unsupported: shim: cannot map --key-shares" }))!
      .reason,
    /adapter cannot: cannot map --key-shares/,
  );
  // Without the line, 127 is just an exit code: the judge decides on the evidence.
  assert.equal(processOutcome(run({ code: 127, output: "sh: not found" })), null);
});

Deno.test("exit 3 is an error that quotes the program: nothing was tested", () => {
  const v = processOutcome(
    run({ code: 3, output: "pqi-chromium: Chromium did not start: killed by SIGTRAP" }),
  );
  assert.equal(v?.outcome, "error");
  assert.match(
    v!.reason,
    /could not start in its container \(exit 3\): pqi-chromium: Chromium did not start/,
  );
});

Deno.test("exit 2 is a harness or shim error, naming the refused command line", () => {
  const v = processOutcome(run({}, { code: 2, output: "peer: unknown server flag --bogus" }));
  assert.equal(v?.outcome, "error");
  assert.match(
    v!.reason,
    /the ts server refused its command line \(exit 2\): peer: unknown server flag/,
  );
});

Deno.test("exit codes mean nothing special for a program that does not speak the contract", () => {
  assert.equal(processOutcome(run({ code: 2, contract: false, output: "whatever" })), null);
  assert.equal(processOutcome(run({ code: 3, contract: false })), null);
});

Deno.test("a crash is a fail naming the signal; a timeout says where the wire stopped", () => {
  assert.match(
    processOutcome(run({ code: null, signal: 11 }))!.reason,
    /lib client crashed \(exit -, signal 11\)/,
  );
  const late = processOutcome(run({ timedOut: true, code: null }));
  assert.deepEqual(late, {
    outcome: "timeout",
    reason: "The lib client did not finish within 20 s; it never connected.",
  });
});
