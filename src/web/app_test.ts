// The pages, against the real fixture runs (three of schema 1, one of schema 2 with its evidence
// file). Every expected number is counted here from the reports themselves, independently of the
// page code, so a page that miscounts, drops a section or links the wrong level fails.

import assert from "node:assert/strict";
import { cellId, type Outcome, OUTCOMES, type Report, type Result } from "../report/schema.ts";
import { RunStore } from "../report/store.ts";
import { createApp } from "./app.tsx";
import { cellSlug, OUTCOME_LABEL } from "./cells.ts";
import { ReportStore } from "./store.ts";
import { fixtureCopy, fixtureReports, fixtureRuns, FIXTURES } from "../testing/web.ts";

const runs = await fixtureRuns();
const reports = await fixtureReports();
const latest = reports[0];
const app = createApp(new ReportStore(FIXTURES));
const get = async (path: string) => {
  const res = await app.request(path);
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    res,
    body: await res.text(),
  };
};

/** The text a reader sees in a piece of HTML. */
const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
  "&amp;": "&",
};
const text = (html: string) =>
  html.replace(/<[^>]+>/g, "").replace(/&(lt|gt|quot|#39|amp);/g, (e) => ENTITIES[e]);

/** How the pages write a tally: "86✓ pass, 4– unsupported" (words for screen readers). */
function countsText(rs: Result[]): string {
  const n = (o: Outcome) => rs.filter((r) => r.outcome === o).length;
  const ran = rs.length - n("unsupported");
  return OUTCOMES.filter((o) => n(o) > 0 || (o === "pass" && ran > 0))
    .map((o) => `${n(o)}${OUTCOME_LABEL[o].symbol} ${OUTCOME_LABEL[o].word}`).join(", ");
}

/** The text of the link whose href ends with `suffix`, or null. */
function linkText(html: string, suffix: string): string | null {
  const esc = suffix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = html.match(new RegExp(`<a href="[^"]*${esc}"[^>]*>(.*?)</a>`, "s"));
  return m ? text(m[1]) : null;
}

const pairsOf = (r: Report) => [...new Set(r.results.map((x) => `${x.client}~${x.server}`))];
const ofPair = (r: Report, pair: string) =>
  r.results.filter((x) => `${x.client}~${x.server}` === pair);
/** What the summary's grid counts: whether two libraries work together, conformance aside. */
const interopOf = (r: Report, pair: string) =>
  ofPair(r, pair).filter((x) => x.suite !== "conformance");

Deno.test("the fixtures: real runs of both schema versions, the newest of schema 2", () => {
  assert.ok(runs.length >= 3, "history and diff need several runs");
  assert.equal(runs[0].source.schema, 2);
  assert.ok(runs.some((r) => r.source.schema === 1));
  assert.ok(latest.results.some((r) => r.suite === "conformance" && r.conformance));
});

/** The colour a pair's square should have, worked out from its cells. */
function colourOf(rs: Result[]): string {
  const ran = rs.filter((r) => r.outcome !== "unsupported");
  const pass = ran.filter((r) => r.outcome === "pass").length;
  if (ran.length === 0) return "g-unsupported";
  return pass === ran.length
    ? "g-all"
    : pass >= 0.9 * ran.length
    ? "g-most"
    : pass
    ? "g-some"
    : "g-none";
}

Deno.test("/ is the newest run's summary: every pair's counts and colour, linked to the pair", async () => {
  const { status, body } = await get("/");
  assert.equal(status, 200);
  assert.match(body, new RegExp(`Latest run: <code>${latest.id}</code>`));
  for (const pair of pairsOf(latest)) {
    assert.equal(
      linkText(body, `runs/${latest.id}/pairs/${pair}/`),
      countsText(interopOf(latest, pair)),
      pair,
    );
    const square = body.match(new RegExp(`<td class="(g-[a-z]+)"><a href="[^"]*pairs/${pair}/"`));
    assert.equal(square?.[1], colourOf(interopOf(latest, pair)), pair);
  }
  // The lead sentence adds up the whole run.
  const pass = latest.results.filter((r) => r.outcome === "pass").length;
  assert.ok(text(body).includes(`${latest.results.length} cells`));
  assert.ok(text(body).includes(`${pass} passed`));
});

Deno.test("/ has a row per suite with its counts, and no list of cells", async () => {
  const { body } = await get("/");
  const suites = [...new Set(latest.results.map((r) => r.suite))];
  for (const suite of suites) {
    const rs = latest.results.filter((r) => r.suite === suite);
    const row = body.match(
      new RegExp(
        `<tr class="g-[a-z]+"><th scope="row"><a href="[^"]*suites/${suite}/"[^>]*>${suite}</a></th>(.*?)</tr>`,
      ),
    )
      ?.[1];
    assert.ok(row, `a row for ${suite}`);
    const cells = [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    const cases = new Set(rs.map((r) => r.case)).size;
    assert.deepEqual(cells.slice(0, 2 + OUTCOMES.length), [
      String(cases),
      String(rs.length),
      ...OUTCOMES.map((o) => String(rs.filter((r) => r.outcome === o).length || "")),
    ]);
  }
  // Cells are a drill-down away: the summary links only the few changes it names.
  const cellLinks = [...body.matchAll(/href="[^"]*\/cells\//g)].length;
  assert.ok(cellLinks <= 2 * 10, `${cellLinks} links into cells`);
});

Deno.test("/ counts the conformance verdicts per library and role", async () => {
  const { body } = await get("/");
  const table = body.match(/<table class="verdicts">.*?<\/table>/s)?.[0];
  assert.ok(table, "the verdict table");
  const headings = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]).slice(1);
  const conf = latest.results.filter((r) => r.suite === "conformance" && r.conformance);
  const wrong = conf.filter((r) => r.conformance!.classification === "wrong-alert");
  assert.ok(wrong.length > 0, "the fixture has wrong alerts (openssl as client)");
  const underTest = (r: Result) => {
    const role = r.conformance!.roleUnderTest;
    return `${role === "client" ? r.client : r.server} as ${role}`;
  };
  for (const key of new Set(conf.map(underTest))) {
    const row: string | undefined = table.match(
      new RegExp(`<tr><th scope="row">(?:<a [^>]*>)?${key}(?:</a>)?</th>(.*?)</tr>`),
    )?.[1];
    assert.ok(row, key);
    const counts: number[] = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) =>
      Number(m[1] || 0)
    );
    const mine = conf.filter((r) => underTest(r) === key);
    const count = (c: string) => mine.filter((r) => r.conformance!.classification === c).length;
    assert.equal(counts[headings.indexOf("wrong alert")] ?? 0, count("wrong-alert"), key);
    assert.equal(counts[headings.indexOf("correct alert")] ?? 0, count("correct-alert"), key);
    assert.equal(counts.reduce((a, b) => a + b, 0), mine.length, `${key}: every cell counted once`);
  }
  assert.match(table, /<td class="bad">\d+<\/td>/, "wrong alerts stand out");
});

Deno.test("/ shows the cost of each group, from observed.wire", async () => {
  const { body } = await get("/");
  const passing = latest.results.filter((r) =>
    ["pure", "hybrid", "classic"].includes(r.suite) && r.outcome === "pass" && r.observed?.wire
  );
  const group = "X25519MLKEM768";
  const mine = passing.filter((r) => r.observed!.group === group);
  assert.ok(mine.length > 0);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const row = body.match(new RegExp(`<tr><th scope="row">${group}</th>(.*?)</tr>`))?.[1];
  assert.ok(row, "a row for the hybrid group");
  const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => text(m[1]));
  assert.equal(cells[0], String(mine.length));
  assert.equal(cells[1], String(median(mine.map((r) => r.observed!.wire!.bytes.clientToServer))));
  assert.equal(cells[2], String(median(mine.map((r) => r.observed!.wire!.bytes.serverToClient))));
  assert.equal(
    cells[5],
    `${median(mine.map((r) => r.observed!.wire!.share.client!))} / ${
      median(mine.map((r) => r.observed!.wire!.share.server!))
    }`,
  );
  assert.match(body, /<img class="chart" src="(\.\/)?runs\/[^"]+\/chart\.svg"/);
});

Deno.test("/ says what changed since the previous run", async () => {
  const { body } = await get("/");
  const previous = reports[1];
  const before = new Map(previous.results.map((r) => [cellId(r), r]));
  const broke = latest.results.filter((r) =>
    before.get(cellId(r))?.outcome === "pass" && r.outcome !== "pass"
  );
  const fixed = latest.results.filter((r) => {
    const b = before.get(cellId(r));
    return b && b.outcome !== "pass" && r.outcome === "pass";
  });
  const section = text(body.match(/<section aria-labelledby="changes">.*?<\/section>/s)![0]);
  assert.ok(
    section.includes(`Against ${previous.id}: ${broke.length} broke, ${fixed.length} fixed`),
    section,
  );
  assert.match(body, new RegExp(`href="(\\./)?diff/${previous.id}/${latest.id}/"`));
});

Deno.test("drill-down: suite → pair → cell, each level counting what the one above said", async () => {
  const suite = "conformance";
  const pair = "openssl~ts";
  const page = await get(`/runs/${latest.id}/suites/${suite}/`);
  assert.equal(page.status, 200);
  const rs = ofPair(latest, pair).filter((r) => r.suite === suite);
  assert.equal(linkText(page.body, `runs/${latest.id}/pairs/${pair}/${suite}/`), countsText(rs));

  const list = await get(`/runs/${latest.id}/pairs/${pair}/${suite}/`);
  assert.equal(list.status, 200);
  const rows = [...list.body.matchAll(/<tr data-outcome="([a-z]+)">/g)].map((m) => m[1]);
  assert.deepEqual(rows, rs.map((r) => r.outcome), "one row per cell, in plan order");
  const failed = rs.find((r) => r.outcome === "fail")!;
  const href = `runs/${latest.id}/cells/${cellSlug(failed)}/`;
  assert.ok(list.body.includes(`href="../../../../../${href}"`), "the row links to the cell");

  const pairPage = await get(`/runs/${latest.id}/pairs/${pair}/`);
  assert.equal(pairPage.status, 200);
  const notPassed = ofPair(latest, pair).filter((r) =>
    r.outcome !== "pass" && r.outcome !== "unsupported"
  );
  assert.equal([...pairPage.body.matchAll(/<tr data-outcome=/g)].length, notPassed.length);
});

Deno.test("a cell page: expectation, the evidence read from the evidence file, both logs", async () => {
  const run = runs[0];
  const r = latest.results.find((x) =>
    x.case === "hybrid/X25519MLKEM768" && x.client === "openssl"
  )!;
  const evidence = (await run.evidence(r))!;
  assert.ok(evidence.observation?.wire?.transcript.length, "the fixture has a transcript");
  const { status, body } = await get(`/runs/${latest.id}/cells/${cellSlug(r)}/`);
  assert.equal(status, 200);
  assert.ok(body.includes(`<td>${r.observed!.group}</td>`));
  const field = evidence.observation!.wire!.transcript[0].fields[0];
  assert.ok(body.includes(`<b>${field.name}</b>`), field.name);
  // The client's first log line (the shim's summary) is on the page as it was written.
  const line = evidence.logs.client.split("\n").find((l) => l.trim().length > 20)!;
  assert.ok(text(body).includes(line), line);
  // Each record's bytes are on the page once, whole (the field tree names them, it does not
  // repeat them).
  for (const record of evidence.observation!.wire!.transcript.filter((e) => e.hex.length > 64)) {
    assert.equal(body.split(record.hex).length - 1, 1, record.hex.slice(0, 20));
  }
  // The plain cell id works too, percent-encoded as one segment.
  assert.equal(
    (await get(`/runs/${latest.id}/cells/${encodeURIComponent(cellId(r))}`)).status,
    200,
  );
  // And its JSON carries the evidence.
  const json = JSON.parse((await get(`/api/runs/${latest.id}/cells/${cellSlug(r)}.json`)).body);
  assert.equal(cellId(json.result), cellId(r));
  assert.equal(json.evidence.logs.client, evidence.logs.client);
});

Deno.test("a conformance cell shows the verdict and the bytes the reference peer sent", async () => {
  const r = latest.results.find((x) => x.conformance?.classification === "wrong-alert")!;
  const evidence = (await runs[0].evidence(r))!;
  assert.ok(evidence.sentHex, "the fixture kept the adversary's bytes");
  const { body } = await get(`/runs/${latest.id}/cells/${cellSlug(r)}/`);
  assert.ok(body.includes(`wrong alert: ${r.conformance!.alert}`));
  assert.ok(body.includes(evidence.sentHex.slice(0, 64)));
});

Deno.test("every schema 1 run still renders, with its evidence", async () => {
  for (const run of runs.filter((r) => r.source.schema === 1)) {
    const summary = await get(`/runs/${run.report.id}/`);
    assert.equal(summary.status, 200, run.report.id);
    for (const pair of pairsOf(run.report)) {
      const cells = interopOf(run.report, pair);
      if (cells.length) assert.equal(linkText(summary.body, `pairs/${pair}/`), countsText(cells));
    }
    const r = run.report.results.find((x) => x.outcome !== "unsupported")!;
    const cell = await get(`/runs/${run.report.id}/cells/${cellSlug(r)}/`);
    assert.equal(cell.status, 200);
    const log = (await run.evidence(r))!.logs.server.split("\n").find((l) =>
      /^[A-Za-z]{4}/.test(l)
    );
    if (log) assert.ok(text(cell.body).includes(log), log);
  }
});

Deno.test("permalinks: a run by id, ?run= and the old filter links", async () => {
  const older = reports[1];
  const run = await get(`/?run=${older.id}`);
  assert.equal(run.status, 302);
  assert.equal(run.res.headers.get("location"), `/runs/${older.id}/`);
  const impl = await get("/?impl=openssl&outcome=fail");
  assert.equal(impl.res.headers.get("location"), "/impl/openssl/");
  const suite = await get("/?suite=hybrid");
  assert.equal(suite.res.headers.get("location"), `/runs/${latest.id}/suites/hybrid/`);
  assert.equal((await get(`/runs/${older.id}`)).status, 200);
});

Deno.test("/runs, /diff and /impl/ts", async () => {
  const history = await get("/runs");
  assert.equal(history.status, 200);
  for (const r of reports) assert.ok(history.body.includes(`>${r.id}</a>`));

  const [to, from] = reports;
  const redirect = await get(`/diff?from=${from.id}&to=${to.id}`);
  assert.equal(redirect.res.headers.get("location"), `/diff/${from.id}/${to.id}/`);
  const diff = await get(`/diff/${from.id}/${to.id}/`);
  assert.equal(diff.status, 200);
  assert.match(diff.body, /\d+ broke, \d+ fixed, \d+ changed group/);

  const impl = await get("/impl/ts");
  assert.equal(impl.status, 200);
  assert.match(impl.body, /Outcomes per suite and role/);
  const version = latest.implementations.ts?.version;
  if (version) assert.ok(impl.body.includes(version));
});

Deno.test("badges and the chart are SVG", async () => {
  const badge = await get("/badge/ts.svg");
  assert.equal(badge.type, "image/svg+xml");
  const mine = latest.results.filter((r) => r.client === "ts" || r.server === "ts");
  assert.ok(
    badge.body.includes(`${mine.filter((r) => r.outcome === "pass").length}/${mine.length} pass`),
  );
  assert.equal((await get("/badge/nosuch.svg")).status, 404);
  const chart = await get(`/runs/${latest.id}/chart.svg`);
  assert.match(chart.body, /^<svg/);
  assert.match(chart.body, /X25519MLKEM768/);
});

Deno.test("the JSON API", async () => {
  const list = JSON.parse((await get("/api/runs")).body);
  assert.deepEqual(list.runs.map((r: { id: string }) => r.id), reports.map((r) => r.id));
  assert.deepEqual(
    list.runs.map((r: { schema: number }) => r.schema),
    runs.map((r) => r.source.schema),
  );
  const run = JSON.parse((await get(`/api/runs/${latest.id}.json`)).body);
  assert.equal(run.schema, 2);
  assert.equal(run.results.length, latest.results.length);
  assert.equal(JSON.parse((await get("/api/latest")).body).id, latest.id);
  const missing = await get("/api/runs/nosuchrun");
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.body), { error: "not found" });
  assert.equal((await get("/healthz")).body, "ok\n");
});

Deno.test("bad paths are 404 or 400, never 500", async () => {
  const bad = [
    "/runs/../../etc/passwd",
    "/runs/%2e%2e%2fetc",
    "/runs/..%2F..%2Fetc%2Fpasswd",
    "/runs/nosuchrun",
    `/runs/${latest.id}/cells/nosuchcell`,
    `/runs/${latest.id}/cells/..%2f..%2f`,
    `/runs/${latest.id}/suites/nosuch/`,
    `/runs/${latest.id}/pairs/ts/`,
    `/runs/${latest.id}/pairs/ts~nosuch/`,
    `/runs/${latest.id}/pairs/ts~openssl/nosuch/`,
    `/runs/${latest.id}/pairs/a~b~c/hybrid/`,
    `/runs/${latest.id}/releases/openssl/`,
    `/runs/${latest.id}/cells/nosuch/evidence.html.gz`,
    "/api/runs/..%2f..%2fetc%2fpasswd",
    "/diff/nosuch/other",
    "/diff?from=../x&to=y",
    "/?run=../../etc/passwd",
    "/impl/nosuch",
    "/badge/..%2f.svg",
    "/nowhere/at/all",
    "/runs/%E0%A4%A/",
    `/runs/${latest.id}/cells/%ff%fe`,
    "/api/runs/%/cells/%",
    `/?q=${"x".repeat(100 * 1024)}`,
  ];
  for (const path of bad) {
    const { status, body } = await get(path);
    assert.ok(status === 404 || status === 400, `${path.slice(0, 60)} → ${status}`);
    assert.doesNotMatch(body, /at .*\.tsx?:\d+/, "no stack trace");
  }
});

Deno.test("security headers on every response", async () => {
  for (const path of ["/", "/nowhere", "/api/runs", "/badge/ts.svg"]) {
    const { res } = await get(path);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'.*frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
  }
});

Deno.test("an empty or missing folder shows the no-runs page with the command", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const folder of [dir, `${dir}/does-not-exist`]) {
      const empty = createApp(new ReportStore(folder));
      for (const path of ["/", "/runs", "/diff"]) {
        const res = await empty.request(path);
        assert.equal(res.status, 200);
        const body = await res.text();
        assert.match(body, /No runs yet/);
        assert.match(body, /deno task interop --report/);
      }
      assert.equal((await empty.request("/api/latest")).status, 404);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a report written under any name shows up, evidence included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const src = `${FIXTURES}/ts-openssl`;
    const report = JSON.parse(await Deno.readTextFile(`${src}.json`));
    report.evidenceFile = "out.evidence.gz";
    await Deno.writeTextFile(`${dir}/out.json`, JSON.stringify(report));
    await Deno.copyFile(`${src}.evidence.gz`, `${dir}/out.evidence.gz`);
    const mine = createApp(new ReportStore(dir, () => {}));
    assert.match(await (await mine.request("/")).text(), new RegExp(`<code>${report.id}</code>`));
    const r = latest.results.find((x) => x.outcome === "pass" && x.client === "openssl")!;
    const cell = await (await mine.request(`/runs/${report.id}/cells/${cellSlug(r)}/`)).text();
    assert.match(cell, /Annotated handshake transcript/);
    assert.doesNotMatch(cell, /evidence of this cell is not available/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad files: the others still show, each bad one is named once, nothing is a 500", async () => {
  const dir = await fixtureCopy();
  try {
    const whole = await Deno.readTextFile(`${FIXTURES}/ts-openssl.json`);
    await Deno.writeTextFile(`${dir}/truncated.json`, whole.slice(0, whole.length / 2));
    await Deno.writeTextFile(`${dir}/broken.json`, '{"schema": 1, "id": "2099-');
    // Same run id as ts-openssl.json: the first file by name is shown, this one is a problem.
    await Deno.writeTextFile(
      `${dir}/zz-copy.json`,
      whole.replace(/"evidenceFile": "[^"]+"/, '"evidenceFile": null'),
    );
    await Deno.writeTextFile(`${dir}/expected.json`, '{"mustPass": []}');
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a report");
    const warnings: string[] = [];
    const corrupt = createApp(new ReportStore(dir, (m) => warnings.push(m)));
    for (let i = 0; i < 3; i++) {
      const res = await corrupt.request("/");
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.match(body, new RegExp(`Latest run: <code>${latest.id}</code>`));
      for (const bad of ["truncated.json", "broken.json", "zz-copy.json"]) {
        assert.equal(body.split(`<code>${bad}</code>`).length - 1, 1, `${bad} named once`);
      }
      assert.doesNotMatch(body, /expected\.json|notes\.txt/, "plainly not reports: not named");
    }
    assert.equal(warnings.length, 3, warnings.join("\n")); // once each, however often asked
    assert.match(warnings.join("\n"), /zz-copy\.json: run \S+ is also in ts-openssl\.json/);
    for (const path of ["/runs/", `/runs/${latest.id}/`, "/api/runs"]) {
      assert.equal((await corrupt.request(path)).status, 200, path);
    }
    const listed = JSON.parse(await (await corrupt.request("/api/runs")).text());
    assert.equal(listed.runs.filter((r: { id: string }) => r.id === latest.id).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a report of an unknown schema: its run is listed with a notice", async () => {
  const dir = await fixtureCopy();
  try {
    const id = "2099-01-01T00-00-00Z-future";
    await Deno.writeTextFile(
      `${dir}/future.json`,
      JSON.stringify({ schema: 99, id, startedAt: "2099-01-01T00:00:00.000Z", results: [] }),
    );
    const future = createApp(new ReportStore(dir, () => {}));
    const home = await (await future.request("/")).text();
    assert.match(home, new RegExp(`Latest run: <code>${latest.id}</code>`), "the newest readable");
    assert.match(home, /<code>future\.json<\/code>: report schema 99/);
    const history = await (await future.request("/runs/")).text();
    assert.match(
      history,
      new RegExp(`${id}</a></th><td>2099-01-01T00:00:00.000Z</td><td colspan="\\d+">schema 99`),
    );
    const page = await future.request(`/runs/${id}/`);
    assert.equal(page.status, 200);
    assert.match(
      await page.text(),
      /cannot be shown: <code>future\.json<\/code> is a report of schema\s+99/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run written while the server is up shows on the next look", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const live = createApp(new ReportStore(dir, () => {}, 0));
    assert.match(await (await live.request("/")).text(), /No runs yet/);
    const older = reports[reports.length - 1];
    await Deno.copyFile(`${FIXTURES}/${older.id}.json`, `${dir}/a.json`);
    assert.match(await (await live.request("/")).text(), new RegExp(`<code>${older.id}</code>`));
    await Deno.copyFile(`${FIXTURES}/ts-openssl.json`, `${dir}/b.json`);
    assert.match(await (await live.request("/")).text(), new RegExp(`<code>${latest.id}</code>`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run still going (a journal, no report yet) shows what it has so far", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const donor = runs[0];
    const store = new RunStore(`${dir}/going.json`, {
      id: "2099-01-01T00-00-00Z-going",
      command: ["deno", "task", "interop"],
      commit: null,
      plan: { hash: "test", cells: donor.report.results.length },
      cases: donor.report.cases,
    });
    await store.open();
    const done = donor.report.results.filter((r) => r.suite === "hybrid");
    for (const r of done) {
      const { evidence: _, ...result } = r;
      await store.add(result, await donor.evidence(r));
    }
    const app = createApp(new ReportStore(dir, () => {}));
    const body = await (await app.request("/")).text();
    assert.match(body, /Latest run: <code>2099-01-01T00-00-00Z-going<\/code>/);
    assert.match(text(body), /did not finish: no report yet: still running/);
    assert.ok(text(body).includes(`${done.length} cells`));
    // Its cells' evidence is already in the evidence file beside the journal.
    const cell = await (await app.request(
      `/runs/2099-01-01T00-00-00Z-going/cells/${cellSlug(done[0])}/`,
    )).text();
    assert.match(cell, /Annotated handshake transcript/);
    await store.finish();
    const finished = await (await createApp(new ReportStore(dir, () => {})).request("/")).text();
    assert.doesNotMatch(finished, /did not finish/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regressions are named at the top of the summary, each linked to its cell", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const report = JSON.parse(await Deno.readTextFile(`${FIXTURES}/ts-openssl.json`));
    const failed = latest.results.filter((r) => r.outcome === "fail").slice(0, 2);
    report.regressions = [...failed.map(cellId), "classic/x25519@nosuch->ts"];
    await Deno.writeTextFile(`${dir}/r.json`, JSON.stringify(report));
    const body = await (await createApp(new ReportStore(dir, () => {})).request("/")).text();
    assert.match(body, /3 regressions against the committed expectations/);
    for (const r of failed) {
      const link = `cells/${cellSlug(r)}/"[^>]*><code>${cellId(r).replace(">", "&gt;")}</code>`;
      assert.match(body, new RegExp(link));
    }
    assert.ok(text(body).includes("classic/x25519@nosuch->ts: did not run"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
