// Small real runs through `main`, the same code as `deno task interop`: ts↔ts always, ts↔openssl
// when the engine runs and the OpenSSL image is already built (a test never waits for a build).

import assert from "node:assert/strict";
import { main } from "./main.ts";
import { main as reportCli } from "./report_cli.ts";
import { type Progress, silentProgress } from "./progress.ts";
import { readRun } from "../report/read.ts";
import { cellId, type Evidence, type Report } from "../report/schema.ts";
import { withFirstLogs } from "./cell.ts";
import { engineAnswers } from "../runtime/engine.ts";
import { SESSION } from "../runtime/sandbox.ts";

const CASES = ["classic/x25519", "hybrid/X25519MLKEM768", "negotiation/hrr-MLKEM768"];

async function run(
  args: string[],
  extra: { signal?: AbortSignal; progress?: Progress; dir?: string } = {},
) {
  const dir = extra.dir ?? await Deno.makeTempDir({ prefix: "pqinterop-run-" });
  const lines: string[] = [];
  const expected = args.includes("--expected") ? [] : ["--expected", `${dir}/expected.json`];
  // A summary file of its own, so a test run never writes to CI's $GITHUB_STEP_SUMMARY.
  const markdown = args.includes("--markdown") ? [] : ["--markdown", `${dir}/summary.md`];
  const code = await main(["--report", `${dir}/report.json`, ...expected, ...markdown, ...args], {
    print: (l) => lines.push(l),
    progress: extra.progress ?? silentProgress,
    signal: extra.signal,
  });
  let report: Report | null = null;
  try {
    report = (await readRun(`${dir}/report.json`)).report;
  } catch { /* some runs never start */ }
  await Deno.remove(dir, { recursive: true });
  return { code, report, output: lines.join("\n") };
}

Deno.test("ts↔ts: a few cases give a complete report with provenance and groups", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-run-" });
  const outputs = await Deno.makeTempDir({ prefix: "pqinterop-out-" });
  const { code, report, output } = await run([
    "--impl",
    "ts",
    "--case",
    CASES.join(","),
    "--junit",
    `${outputs}/junit.xml`,
    "--markdown",
    `${outputs}/summary.md`,
  ], { dir });
  assert.equal(code, 0, output);
  assert.ok(report);
  assert.equal(report.complete, true);
  assert.equal(report.results.length, 3);
  assert.ok(report.implementations.ts?.version, "provenance of the TS peer");
  const byCase = Object.fromEntries(report.results.map((r) => [r.case, r]));
  for (const id of CASES) assert.equal(byCase[id].outcome, "pass", byCase[id].reason);
  assert.equal(byCase["classic/x25519"].observed?.group, "x25519");
  assert.equal(byCase["hybrid/X25519MLKEM768"].observed?.group, "X25519MLKEM768");
  assert.equal(byCase["negotiation/hrr-MLKEM768"].observed?.group, "MLKEM768");
  assert.equal(byCase["negotiation/hrr-MLKEM768"].observed?.helloRetryRequest, true);
  assert.match(output, /classic\nclient\\server\s+ts\nts\s+✓/);
  const junit = await Deno.readTextFile(`${outputs}/junit.xml`);
  assert.equal(junit.match(/<testcase /g)?.length, 3);
  assert.match(await Deno.readTextFile(`${outputs}/summary.md`), /\| ts \| ✓ \|/);
  await Deno.remove(outputs, { recursive: true });
});

Deno.test({
  name: "ts↔openssl: the four pairs of X25519MLKEM768 pass, with the image's provenance",
  ignore: !(await engineAnswers().catch(() => false)),
  fn: async () => {
    const { code, report, output } = await run([
      "--impl",
      "ts,openssl",
      "--case",
      "hybrid/X25519MLKEM768",
      "--timeout",
      "10",
    ]);
    assert.equal(code, 0, output);
    assert.ok(report?.complete);
    assert.equal(report.results.length, 4);
    for (const r of report.results) {
      assert.equal(r.outcome, "pass", `${r.client}->${r.server}: ${r.reason}`);
      assert.equal(r.observed?.group, "X25519MLKEM768");
    }
    assert.match(report.implementations.openssl?.version ?? "", /OpenSSL 3\./);
    assert.match(report.implementations.openssl?.image?.id ?? "", /^sha256:/);
  },
});

Deno.test("an interrupted run leaves a valid, incomplete report", async () => {
  const controller = new AbortController();
  const abortAfterFirst: Progress = {
    ...silentProgress,
    finished: () => controller.abort("interrupted by the test"),
  };
  const { code, report } = await run(
    ["--impl", "ts", "--suite", "hybrid,pure", "--jobs", "1"],
    { signal: controller.signal, progress: abortAfterFirst },
  );
  assert.equal(code, 130);
  assert.ok(report);
  assert.equal(report.complete, false);
  assert.equal(report.interrupted, "interrupted by the test");
  assert.ok(report.finishedAt);
  assert.equal(report.results.length, 1, "only the cell that finished before the abort");
});

Deno.test("a regression against the expectations fails the run and names the cell", async () => {
  const dir = await Deno.makeTempDir();
  const expectations = `${dir}/expected.json`;
  const cell = "classic/x25519@ts->ts";
  await Deno.writeTextFile(expectations, JSON.stringify({ mustPass: [cell] }));
  // No program can start, let alone finish a handshake, within a millisecond: a real timeout.
  const { code, report, output } = await run([
    "--impl",
    "ts",
    "--case",
    "classic/x25519",
    "--timeout",
    "0.001",
    "--expected",
    expectations,
  ]);
  assert.equal(code, 1, output);
  assert.deepEqual(report?.regressions, [cell]);
  assert.equal(report?.results[0].outcome, "timeout");
  assert.equal(report?.results[0].attempts, 2);
  assert.match(
    output,
    new RegExp(`REGRESSION ${cell.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: timeout`),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a known failure runs once; the same fail where a pass is expected gets its retry", async () => {
  // OpenSSL's client answers a truncated hybrid share with internal_error, not illegal_parameter:
  // a real, repeatable fail.
  const cell = "conformance/truncate-share-vs-client-X25519MLKEM768@openssl->ts";
  const dir = await Deno.makeTempDir();
  const expectations = `${dir}/expected.json`;
  const args = [
    "--impl",
    "ts,openssl",
    "--case",
    "conformance/truncate-share-vs-client-X25519MLKEM768",
    "--expected",
    expectations,
  ];
  const attemptsWith = async (mustPass: string[]) => {
    await Deno.writeTextFile(expectations, JSON.stringify({ mustPass }));
    const { report } = await run(args);
    const r = report!.results.find((x) => cellId(x) === cell)!;
    assert.equal(r.outcome, "fail", r.reason);
    return r.attempts;
  };
  assert.equal(await attemptsWith([]), 1);
  assert.equal(await attemptsWith([cell]), 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a flaky cell keeps the failed attempt's logs before the retry's", () => {
  const evidence = (client: string, server: string) => ({
    observation: null,
    reports: { client: null, server: null },
    logs: { client, server },
  });
  const kept = withFirstLogs(
    evidence("client: passed", "server: passed") as unknown as Evidence,
    evidence("client: closed", "server: reset") as unknown as Evidence,
  );
  assert.equal(kept.logs.client, "[first attempt]\nclient: closed\n[retry]\nclient: passed");
  assert.equal(kept.logs.server, "[first attempt]\nserver: reset\n[retry]\nserver: passed");
});

Deno.test("a corrupt expectations file is a clear error naming it, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const expectations = `${dir}/expected.json`;
  await Deno.writeTextFile(expectations, "{ not json");
  const { code, output, report } = await run([
    "--impl",
    "ts",
    "--case",
    "classic/x25519",
    "--expected",
    expectations,
  ]);
  assert.equal(code, 2);
  assert.match(output, new RegExp(`^interop: ${expectations}: not valid JSON`));
  assert.equal(report, null, "the run did not start");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("unknown names and options exit 2 with one line listing the valid ones", async () => {
  const bad = await run(["--impl", "gnutls"]);
  assert.equal(bad.code, 2);
  assert.match(bad.output, /^interop: unknown implementation "gnutls" \(valid: .*ts.*\)$/);
  const flag = await run(["--colour"]);
  assert.equal(flag.code, 2);
  assert.match(flag.output, /^interop: unknown flag "--colour" \(see --help\)$/);
});

Deno.test("a bad --shard is one line naming the valid form, exit 2", async () => {
  for (const shard of ["0/3", "4/3", "x", "1/0", "2"]) {
    const r = await run(["--impl", "ts", "--shard", shard]);
    assert.equal(r.code, 2, shard);
    assert.match(
      r.output,
      /^interop: --shard must be I\/N with 1 ≤ I ≤ N \(e\.g\. --shard 2\/3\), got ".*"$/,
    );
  }
});

Deno.test({
  name:
    "a launcher that dies mid-run: its cell is an error saying so, the sandbox is replaced, the run goes on",
  ignore: !(await engineAnswers().catch(() => false)),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let killed = false;
    const killer: Progress = {
      ...silentProgress,
      finished: () => {
        if (killed) return;
        killed = true;
        // The launcher is the only perl in the OpenSSL container of this session.
        new Deno.Command("sh", {
          args: [
            "-c",
            `docker exec $(docker ps -q --filter label=pqinterop.impl=openssl --filter label=pqinterop.session=${SESSION}) pkill -9 perl`,
          ],
        }).outputSync();
      },
    };
    const { code, report, output } = await run(
      ["--impl", "ts,openssl", "--suite", "classic", "--client", "openssl", "--jobs", "1"],
      { progress: killer },
    );
    assert.ok(report?.complete, output);
    const errors = report.results.filter((r) => r.outcome === "error");
    assert.ok(errors.length >= 1, `no cell saw the dead launcher:\n${output}`);
    for (const e of errors) assert.match(e.reason, /sandbox broke under the cell .*launcher/);
    const last = report.results.indexOf(errors.at(-1)!);
    assert.ok(last < report.results.length - 1, "a cell ran after the breakage");
    for (const r of report.results.slice(last + 1)) {
      assert.equal(r.outcome, "pass", `${r.case}: ${r.reason}`);
    }
    assert.equal(code, 0, "no expectation was broken: the run itself still completes");
  },
});

Deno.test("three shards, merged, give the unsharded run's outcome in every cell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-shards-" });
  const select = ["--impl", "ts", "--suite", "classic,hybrid,pure,negotiation,psk,conformance"];
  const quiet = { print: () => {}, progress: silentProgress };
  const common = ["--expected", `${dir}/none.json`, "--markdown", `${dir}/s.md`];
  assert.equal(await main([...select, ...common, "--report", `${dir}/whole.json`], quiet), 0);
  for (const i of [1, 2, 3]) {
    const code = await main(
      [...select, ...common, "--shard", `${i}/3`, "--report", `${dir}/shard${i}.json`],
      quiet,
    );
    assert.equal(code, 0);
  }
  const lines: string[] = [];
  const merged = await reportCli(
    [
      "merge",
      `${dir}/shard3.json`,
      `${dir}/shard1.json`,
      `${dir}/shard2.json`,
      "--out",
      `${dir}/merged.json`,
    ],
    (l) => lines.push(l),
  );
  assert.equal(merged, 0, lines.join("\n"));
  const whole = (await readRun(`${dir}/whole.json`)).report;
  const joined = (await readRun(`${dir}/merged.json`)).report;
  const outcomes = (r: Report) =>
    r.results.map((x) => `${x.case}@${x.client}->${x.server} ${x.outcome}`);
  assert.ok(whole.results.length > 20);
  assert.deepEqual(outcomes(joined), outcomes(whole));
  assert.equal(joined.plan.hash, whole.plan.hash);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "an implementation whose image cannot be built: its cells say why, the others run",
  ignore: !(await engineAnswers().catch(() => false)),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pqinterop-gone-" });
    // A version that is no longer in the archive, as the build sees it: apt cannot find it.
    const marker = crypto.randomUUID().slice(0, 8);
    await Deno.writeTextFile(
      `${dir}/Dockerfile`,
      `FROM pqinterop/base:trixie\nRUN echo ${marker} && echo "E: Unable to locate package libgone9" && exit 100\n`,
    );
    await Deno.writeTextFile(
      `${dir}/impl.json`,
      JSON.stringify({
        id: "gone",
        name: "A version no longer in the archive",
        image: { context: "." },
        program: ["/shim"],
        version: ["/shim", "version"],
      }),
    );
    const { code, report, output } = await run([
      "--impl-file",
      `${dir}/impl.json`,
      "--impl",
      "ts,gone",
      "--case",
      "classic/x25519",
    ]);
    assert.equal(code, 0, output);
    const byPair = Object.fromEntries(report!.results.map((r) => [`${r.client}->${r.server}`, r]));
    assert.equal(byPair["ts->ts"].outcome, "pass");
    for (const pair of ["ts->gone", "gone->ts", "gone->gone"]) {
      assert.equal(byPair[pair].outcome, "error", pair);
      assert.match(
        byPair[pair].reason,
        /image for gone: building pqinterop\/gone:[0-9a-f]{12} failed/,
      );
    }
    await Deno.remove(dir, { recursive: true });
  },
});
