// The report's bookkeeping: expectations, regressions, bounded logs, the writers. These work on
// outcomes and ids only, so small results made here are enough; evidence is judged elsewhere
// (src/runner/judge_test.ts) on real runs.

import assert from "node:assert/strict";
import { readExpected, regressions, updatedExpected } from "./expected.ts";
import { toJUnit } from "./junit.ts";
import { matrixTables, renderText } from "./matrix.ts";
import type { Outcome, Result } from "./schema.ts";
import { boundLog, LOG_LIMIT, readReport, RunStore } from "./store.ts";

const result = (id: string, client: string, server: string, outcome: Outcome): Result => ({
  case: id,
  suite: id.split("/")[0],
  title: id,
  client: client as Result["client"],
  server: server as Result["server"],
  outcome,
  reason: `${outcome} because`,
  expected: { kind: "handshake" },
  observed: null,
  logs: { client: "client log \u0007", server: "" },
  durations: { totalMs: 1200, handshakeMs: null },
  attempts: 1,
});

Deno.test("regressions: expected cells that ran and did not pass, flaky included", () => {
  const results = [
    result("classic/x25519", "ts", "openssl", "pass"),
    result("classic/x25519", "openssl", "ts", "flaky"),
    result("pure/MLKEM512", "ts", "rustls", "unsupported"),
  ];
  const expected = {
    mustPass: [
      "classic/x25519@ts->openssl",
      "classic/x25519@openssl->ts",
      "pure/MLKEM512@ts->rustls",
      "hybrid/X25519MLKEM768@ts->ts", // not in this run: not judged
    ],
  };
  assert.deepEqual(regressions(expected, results), [
    "classic/x25519@openssl->ts",
    "pure/MLKEM512@ts->rustls",
  ]);
});

Deno.test("updating keeps cells the run did not include and takes the run's word on the rest", () => {
  const results = [
    result("classic/x25519", "ts", "openssl", "pass"),
    result("classic/x25519", "openssl", "ts", "fail"),
  ];
  const before = { mustPass: ["classic/x25519@openssl->ts", "hybrid/X25519MLKEM768@ts->ts"] };
  assert.deepEqual(updatedExpected(before, results), {
    mustPass: ["classic/x25519@ts->openssl", "hybrid/X25519MLKEM768@ts->ts"],
  });
});

Deno.test("an expectations file of the wrong shape is an error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/e.json`, JSON.stringify({ pass: ["x"] }));
  await assert.rejects(readExpected(`${dir}/e.json`), {
    name: "ExpectedFileError",
    message: `${dir}/e.json: expected {"mustPass": ["<case>@<client>-><server>", ...]}`,
  });
  assert.deepEqual(await readExpected(`${dir}/missing.json`), { mustPass: [] });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("logs keep their head and tail within the bound", () => {
  const log = "a".repeat(LOG_LIMIT) + "THE END";
  const kept = boundLog(log);
  assert.ok(new TextEncoder().encode(kept).length <= LOG_LIMIT);
  assert.ok(kept.startsWith("aaa") && kept.endsWith("THE END"));
  assert.match(kept, /…\[\d+ bytes cut\]…/);
  assert.equal(boundLog("short"), "short");
});

Deno.test("the store keeps plan order, and JUnit and the matrix read the same data", async () => {
  const dir = await Deno.makeTempDir();
  const store = new RunStore(`${dir}/r.json`, "test-run", ["test"]);
  store.setOrder(["classic/x25519@ts->ts", "classic/x25519@ts->openssl"]);
  await store.add(result("classic/x25519", "ts", "openssl", "timeout"));
  await store.add(result("classic/x25519", "ts", "ts", "pass"));
  await store.finish();
  const report = await readReport(`${dir}/r.json`);
  assert.equal(report.complete, true);
  assert.deepEqual(report.results.map((r) => r.server), ["ts", "openssl"]);
  assert.equal(report.totals.pass, 1);
  assert.equal(report.totals.timeout, 1);

  const junit = toJUnit(report);
  assert.match(junit, /<testsuite name="classic" tests="2" failures="0" errors="1" skipped="0"/);
  assert.ok(!junit.includes("\u0007"), "control characters are not valid XML");
  assert.equal(
    renderText(matrixTables(report)[0]),
    "classic\nclient\\server  ts  openssl\nts             ✓   T",
  );
  await Deno.remove(dir, { recursive: true });
});
