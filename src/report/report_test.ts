// The report's bookkeeping: expectations, regressions, bounded logs, the writers. These work on
// outcomes and ids only, so small results made here are enough; evidence is judged elsewhere
// (src/runner/judge_test.ts) on real runs.

import assert from "node:assert/strict";
import { readExpected, regressions, updatedExpected } from "./expected.ts";
import { toJUnit } from "./junit.ts";
import { matrixTables, renderText } from "./matrix.ts";
import { mergeShards } from "./merge.ts";
import { readFolder, readRun } from "./read.ts";
import type { Evidence, Outcome, Report, Result } from "./schema.ts";
import { boundLog, companions, LOG_LIMIT, RunStore } from "./store.ts";

const result = (id: string, client: string, server: string, outcome: Outcome): Result => ({
  case: id,
  suite: id.split("/")[0],
  client,
  server,
  outcome,
  reason: `${outcome} because`,
  observed: null,
  durations: { totalMs: 1200, handshakeMs: null },
  attempts: 1,
  evidence: null,
});

const evidence = (tag: string): Evidence => ({
  observation: null,
  logs: { client: `client log ${tag} \u0007`, server: `server log ${tag}` },
});

/** A store for a plan of these cells (one case each, so `cases` is known). */
function store(path: string, cells: string[], extra: Partial<Parameters<typeof mkMeta>[0]> = {}) {
  return new RunStore(path, mkMeta({ cells, ...extra }));
}

function mkMeta(
  o: { cells: string[]; hash?: string; commit?: string; shard?: { index: number; count: number } },
) {
  const cases: Report["cases"] = {};
  for (const id of o.cells) {
    const c = id.split("@")[0];
    cases[c] = { suite: c.split("/")[0], title: c, expected: { kind: "handshake" } };
  }
  return {
    id: `run-${crypto.randomUUID().slice(0, 6)}`,
    command: ["test"],
    commit: o.commit ?? "abc",
    plan: {
      hash: o.hash ?? "plan1",
      cells: o.cells.length,
      ...(o.shard ? { shard: o.shard } : {}),
    },
    cases,
  };
}

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
  const cells = ["classic/x25519@ts->ts", "classic/x25519@ts->openssl"];
  const s = store(`${dir}/r.json`, cells);
  s.setOrder(cells);
  await s.open();
  await s.add(result("classic/x25519", "ts", "openssl", "timeout"), evidence("timeout"));
  await s.add(result("classic/x25519", "ts", "ts", "pass"), evidence("pass"));
  await s.finish();
  const run = await readRun(`${dir}/r.json`);
  const report = run.report;
  assert.equal(report.complete, true);
  assert.deepEqual(report.results.map((r) => r.server), ["ts", "openssl"]);
  assert.equal(report.totals.pass, 1);
  assert.equal(report.totals.timeout, 1);
  // The journal is gone once the report is written; the evidence stays beside it.
  await assert.rejects(Deno.stat(companions(`${dir}/r.json`).journal));
  assert.equal((await run.evidence(report.results[1]))?.logs.server, "server log timeout");
  assert.equal((await run.evidence(report.results[0]))?.logs.server, "server log pass");

  const junit = await toJUnit(run);
  assert.match(junit, /<testsuite name="classic" tests="2" failures="0" errors="1" skipped="0"/);
  assert.match(junit, /client log timeout/, "a cell that did not pass carries its logs");
  assert.ok(!junit.includes("\u0007"), "control characters are not valid XML");
  assert.equal(
    renderText(matrixTables(report)[0]),
    "classic\nclient\\server  ts  openssl\nts             ✓   T",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run that never finished reads back from its journal, evidence included", async () => {
  const dir = await Deno.makeTempDir();
  const cells = ["classic/x25519@ts->ts", "classic/x25519@ts->openssl"];
  const s = store(`${dir}/crashed.json`, cells);
  await s.open();
  await s.add(result("classic/x25519", "ts", "ts", "pass"), evidence("one"));
  // No finish(): the process died here. A torn last line must not hide the lines before it.
  await Deno.writeTextFile(companions(`${dir}/crashed.json`).journal, '{"kind":"res', {
    append: true,
  });
  const { runs, problems } = await readFolder(dir);
  assert.deepEqual(problems, []);
  assert.equal(runs.length, 1);
  const report = runs[0].report;
  assert.equal(report.complete, false);
  assert.match(report.interrupted!, /journal/);
  assert.equal(report.results.length, 1);
  assert.equal((await runs[0].evidence(report.results[0]))?.logs.client, "client log one \u0007");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("schema 1 reports still read, with their inline evidence", async () => {
  const fixture = new URL("../web/testdata/runs/2026-11-23T19-05-59Z-c85e69.json", import.meta.url);
  const run = await readRun(fixture.pathname);
  assert.equal(run.source.schema, 1);
  const v1 = JSON.parse(await Deno.readTextFile(fixture));
  assert.equal(run.report.results.length, v1.results.length);
  const ran = run.report.results.findIndex((r) => r.outcome !== "unsupported");
  assert.equal(run.report.cases[v1.results[ran].case].title, v1.results[ran].title);
  assert.equal(
    (await run.evidence(run.report.results[ran]))?.logs.client,
    v1.results[ran].logs.client,
  );
  assert.equal(
    run.report.results[ran].observed?.group ?? null,
    v1.results[ran].observed?.group ?? null,
  );
});

Deno.test("unknown schema, broken JSON and duplicate ids are problems; other JSON is skipped", async () => {
  const dir = await Deno.makeTempDir();
  const s = store(`${dir}/a.json`, ["classic/x25519@ts->ts"]);
  await s.open();
  await s.finish();
  await Deno.copyFile(`${dir}/a.json`, `${dir}/copy.json`);
  await Deno.writeTextFile(`${dir}/broken.json`, '{"schema": 2, "id": "x", "res');
  await Deno.writeTextFile(
    `${dir}/future.json`,
    JSON.stringify({ schema: 9, id: "f", results: [] }),
  );
  const { runs, problems } = await readFolder(dir);
  assert.equal(runs.length, 1);
  assert.deepEqual(problems.map((p) => p.file).sort(), ["broken.json", "copy.json", "future.json"]);
  assert.match(problems.find((p) => p.file === "future.json")!.why, /schema 9/);
  assert.match(problems.find((p) => p.file === "copy.json")!.why, /is also in a\.json/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("shards of one plan merge back in plan order; other plans are refused", async () => {
  const dir = await Deno.makeTempDir();
  const cells = ["c/a@ts->ts", "c/b@ts->ts", "c/c@ts->ts", "c/d@ts->ts", "c/e@ts->ts"];
  const shard = async (index: number, extra: { hash?: string; commit?: string } = {}) => {
    const path = `${dir}/shard${index}-${extra.hash ?? ""}${extra.commit ?? ""}.json`;
    const st = new RunStore(path, { ...mkMeta({ cells, shard: { index, count: 2 }, ...extra }) });
    await st.open();
    // Cell k goes to shard (k mod 2) + 1.
    for (const [k, id] of cells.entries()) {
      if (k % 2 !== index - 1) continue;
      const [c, pair] = id.split("@");
      const [client, server] = pair.split("->");
      await st.add(result(c, client, server, "pass"), evidence(c));
    }
    await st.finish();
    return await readRun(path);
  };
  const one = await shard(1);
  const two = await shard(2);
  const merged = await mergeShards([two, one], `${dir}/merged.json`, ["merge"]);
  assert.deepEqual(merged.results.map((r) => r.case), ["c/a", "c/b", "c/c", "c/d", "c/e"]);
  assert.equal(merged.plan.shard, undefined);
  const back = await readRun(`${dir}/merged.json`);
  assert.equal((await back.evidence(back.report.results[3]))?.logs.server, "server log c/d");

  await assert.rejects(mergeShards([one], `${dir}/m2.json`, []), /shard 2\/2 is missing/);
  await assert.rejects(
    mergeShards([one, one], `${dir}/m2.json`, []),
    /shard 1\/2 is given 2 times/,
  );
  await assert.rejects(
    mergeShards([one, await shard(2, { hash: "other" })], `${dir}/m2.json`, []),
    /ran another plan .*plan other vs plan1/,
  );
  await assert.rejects(
    mergeShards([one, await shard(2, { commit: "def" })], `${dir}/m2.json`, []),
    /ran commit def but .* ran abc/,
  );
  await Deno.remove(dir, { recursive: true });
});
