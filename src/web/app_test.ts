import assert from "node:assert/strict";
import { cellId } from "../report/schema.ts";
import { createApp } from "./app.tsx";
import { cellSlug } from "./cells.ts";
import { verdict, verdictText } from "./conformance.ts";
import { ReportStore } from "./store.ts";
import { fixtureCopy, fixtureReports, FIXTURES } from "../testing/web.ts";

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
const cellsIn = (
  html: string,
) => [
  ...html.matchAll(
    /<td class="cell [^"]*" data-outcome="([^"]+)" data-client="([^"]+)" data-server="([^"]+)" data-suite="([^"]+)"/g,
  ),
];

Deno.test("the fixtures are real runs with negotiated groups", () => {
  assert.ok(reports.length >= 2, "two runs, so history and diff have something to show");
  assert.ok(latest.results.some((r) => r.outcome === "pass" && r.observed?.group));
});

Deno.test("/ shows the latest run's matrix with the groups that were negotiated", async () => {
  const { status, body } = await get("/");
  assert.equal(status, 200);
  assert.match(body, new RegExp(`Latest run: <code>${latest.id}</code>`));
  assert.equal(cellsIn(body).length, latest.results.length);
  for (const r of latest.results.filter((r) => r.observed?.group).slice(0, 5)) {
    assert.ok(body.includes(`<span class="group">${r.observed!.group}</span>`), r.observed!.group!);
  }
  assert.match(body, /<th scope="col">/);
  assert.match(body, /<caption>/);
  assert.match(body, /class="skip" href="#main"/);
});

Deno.test("filters narrow the matrix and each view is a permalink", async () => {
  const impl = latest.results.find((r) => r.client !== r.server)?.server ??
    latest.results[0].server;
  const byImpl = cellsIn((await get(`/?impl=${impl}`)).body);
  assert.equal(
    byImpl.length,
    latest.results.filter((r) => r.client === impl || r.server === impl).length,
  );
  assert.ok(byImpl.every(([, , c, s]) => c === impl || s === impl));

  const outcome = latest.results[0].outcome;
  const byOutcome = cellsIn((await get(`/?outcome=${outcome}`)).body);
  assert.ok(byOutcome.length > 0 && byOutcome.every(([, o]) => o === outcome));

  const suite = latest.results[0].suite;
  const bySuite = cellsIn((await get(`/?suite=${suite}&impl=&outcome=`)).body);
  assert.equal(bySuite.length, latest.results.filter((r) => r.suite === suite).length);

  const none = await get("/?impl=nosuchimpl");
  assert.equal(none.status, 200);
  assert.equal(cellsIn(none.body).length, 0);
  assert.match(none.body, /0 of \d+ cells match/);

  const run = await get(`/?run=${reports[1].id}&impl=${impl}`);
  assert.equal(run.status, 302);
  assert.equal(run.res.headers.get("location"), `/runs/${reports[1].id}/?impl=${impl}`);
  assert.equal(
    cellsIn((await get(`/runs/${reports[1].id}/?impl=${impl}`)).body).length,
    reports[1].results.filter((r) => r.client === impl || r.server === impl).length,
  );
});

Deno.test("a cell page shows expectation, observation, transcript fields and both logs", async () => {
  const r = latest.results.find((r) => r.observed?.wire?.transcript.length)!;
  assert.ok(r, "a cell with a transcript");
  const { status, body } = await get(`/runs/${latest.id}/cells/${cellSlug(r)}`);
  assert.equal(status, 200);
  assert.match(body, /Expected and observed/);
  if (r.expected.kind === "handshake" && r.expected.group) {
    assert.ok(body.includes(`<td>${r.expected.group}</td>`));
  }
  assert.ok(body.includes(`<td>${r.observed!.group ?? "—"}</td>`));
  const field = r.observed!.wire!.transcript.find((e) => e.fields.length)!.fields[0];
  assert.ok(body.includes(`<strong>${field.name}</strong>`), field.name);
  assert.match(body, /<details/);
  const esc = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  for (const log of [r.logs.client, r.logs.server]) {
    const line = log.split("\n").find((l) => l.trim().length > 3);
    if (line) {
      assert.ok(
        body.includes(esc(line).replaceAll('"', "&quot;")) || body.includes(esc(line)),
        line,
      );
    }
  }
  assert.match(body, /client log/);
  assert.match(body, /server log/);
  assert.match(body, /Bytes and TCP segments/);
  // The plain cell id works too, percent-encoded as one segment.
  const plain = await get(`/runs/${latest.id}/cells/${encodeURIComponent(cellId(r))}`);
  assert.equal(plain.status, 200);
});

Deno.test("/runs, /diff and /impl/ts", async () => {
  const runs = await get("/runs");
  assert.equal(runs.status, 200);
  for (const r of reports) assert.ok(runs.body.includes(`>${r.id}</a>`));

  const [to, from] = reports;
  const redirect = await get(`/diff?from=${from.id}&to=${to.id}`);
  assert.equal(redirect.status, 302);
  assert.equal(redirect.res.headers.get("location"), `/diff/${from.id}/${to.id}/`);
  const diff = await get(`/diff/${from.id}/${to.id}/`);
  assert.equal(diff.status, 200);
  assert.match(diff.body, /\d+ broke, \d+ fixed, \d+ changed group/);

  const impl = await get("/impl/ts");
  assert.equal(impl.status, 200);
  assert.match(impl.body, /Outcomes per suite and role/);
  assert.match(impl.body, /Versions over time/);
  const version = latest.implementations.ts?.version;
  if (version) assert.ok(impl.body.includes(version));
});

Deno.test("badges and the chart are SVG", async () => {
  const badge = await get("/badge/ts.svg");
  assert.equal(badge.status, 200);
  assert.equal(badge.type, "image/svg+xml");
  const mine = latest.results.filter((r) => r.client === "ts" || r.server === "ts");
  const pass = mine.filter((r) => r.outcome === "pass").length;
  assert.ok(badge.body.includes(`${pass}/${mine.length} pass`));
  assert.equal((await get("/badge/nosuch.svg")).status, 404);
  const chart = await get(`/runs/${latest.id}/chart.svg`);
  assert.equal(chart.status, 200);
  assert.match(chart.body, /^<svg/);
});

Deno.test("the JSON API", async () => {
  const list = JSON.parse((await get("/api/runs")).body);
  assert.deepEqual(list.runs.map((r: { id: string }) => r.id), reports.map((r) => r.id));
  assert.deepEqual(Object.keys(list.runs[0]).sort(), [
    "cells",
    "complete",
    "finishedAt",
    "id",
    "regressions",
    "startedAt",
    "totals",
  ]);
  const run = JSON.parse((await get(`/api/runs/${latest.id}`)).body);
  assert.equal(run.id, latest.id);
  assert.equal(run.schema, 1);
  assert.equal(run.results.length, latest.results.length);
  assert.deepEqual(JSON.parse((await get(`/api/runs/${latest.id}.json`)).body), run);
  const r = latest.results[0];
  const cell = JSON.parse((await get(`/api/runs/${latest.id}/cells/${cellSlug(r)}`)).body);
  assert.equal(cellId(cell), cellId(r));
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
    "/runs/%2e%2e%2f%2e%2e%2fetc%2fpasswd/",
    "/runs/..%2F..%2Fetc%2Fpasswd",
    "/runs/nosuchrun",
    `/runs/${latest.id}/cells/nosuchcell`,
    `/runs/${latest.id}/cells/..%2f..%2f`,
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
    "/?impl=%00%ff",
    `/?impl=${"x".repeat(100 * 1024)}`,
  ];
  for (const path of bad) {
    const { status, body } = await get(path);
    assert.ok(status === 404 || status === 400, `${path.slice(0, 60)} → ${status}`);
    assert.doesNotMatch(body, /at .*\.tsx?:\d+/, "no stack trace");
  }
  assert.equal((await get(`/?q=${"x".repeat(100 * 1024)}`)).status, 400);
  const notFound = await get("/nowhere");
  assert.match(notFound.body, /Not found/);
});

Deno.test("security headers on every response", async () => {
  for (const path of ["/", "/nowhere", "/api/runs", "/badge/ts.svg"]) {
    const { res } = await get(path);
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /default-src 'none'.*frame-ancestors 'none'/,
    );
    assert.doesNotMatch(res.headers.get("content-security-policy") ?? "", /unsafe-inline/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
  }
});

Deno.test("an empty reports directory shows the no-runs page with the command", async () => {
  const dir = await Deno.makeTempDir();
  const empty = createApp(new ReportStore(dir));
  for (const path of ["/", "/runs"]) {
    const res = await empty.request(path);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /No runs yet/);
    assert.match(body, /deno task interop/);
  }
  assert.equal((await empty.request("/api/latest")).status, 404);
  const missing = createApp(new ReportStore(`${dir}/does-not-exist`));
  assert.match(await (await missing.request("/")).text(), /No runs yet/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a corrupt report file is skipped with one warning", async () => {
  const dir = await fixtureCopy();
  await Deno.writeTextFile(`${dir}/2099-01-01T00-00-00Z-broken.json`, '{"schema": 1, "id": "2099-');
  await Deno.writeTextFile(`${dir}/2099-01-02T00-00-00Z-other.json`, '{"schema": 99}');
  const warnings: string[] = [];
  const store = new ReportStore(dir, (m) => warnings.push(m));
  const corrupt = createApp(store);
  for (let i = 0; i < 3; i++) {
    const res = await corrupt.request("/");
    assert.equal(res.status, 200);
    assert.match(await res.text(), new RegExp(`Latest run: <code>${latest.id}</code>`));
  }
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings.join("\n"), /broken\.json/);
  assert.equal((await corrupt.request("/runs/2099-01-01T00-00-00Z-broken/")).status, 404);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run written while the server is up shows on the next look", async () => {
  const dir = await Deno.makeTempDir();
  const live = createApp(new ReportStore(dir, () => {}, 0));
  assert.match(await (await live.request("/")).text(), /No runs yet/);
  const older = reports[reports.length - 1];
  await Deno.copyFile(`${FIXTURES}/${older.id}.json`, `${dir}/${older.id}.json`);
  assert.match(await (await live.request("/")).text(), new RegExp(`<code>${older.id}</code>`));
  await Deno.copyFile(`${FIXTURES}/${latest.id}.json`, `${dir}/${latest.id}.json`);
  assert.match(await (await live.request("/")).text(), new RegExp(`<code>${latest.id}</code>`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("conformance: one table per library and role, each verdict as the runner found it", async () => {
  const run = reports.find((r) => r.results.some((x) => x.conformance))!;
  assert.ok(run, "a fixture run with conformance cells");
  const { status, body } = await get(`/runs/${run.id}`);
  assert.equal(status, 200);
  assert.match(body, /Conformance: how each library answers bad input/);
  const judged = run.results.filter((r) => r.conformance);
  for (const r of judged) {
    const f = r.conformance!;
    const impl = f.roleUnderTest === "client" ? r.client : r.server;
    assert.ok(body.includes(`<caption>${impl} as ${f.roleUnderTest}</caption>`), impl);
    assert.ok(body.includes(verdictText(verdict(r))), `${cellId(r)}: ${verdictText(verdict(r))}`);
  }
  // A deviation is shown as such, with the alert the library sent and the one required.
  const wrong = judged.find((r) => r.conformance!.classification === "wrong-alert");
  if (wrong) {
    assert.ok(wrong.conformance!.alert, "a wrong alert names the alert that was sent");
    assert.match(
      verdictText(verdict(wrong)),
      new RegExp(`wrong alert: ${wrong.conformance!.alert}`),
    );
  }
  // The cell page shows the verdict and the bytes the reference peer sent in clear.
  const withBytes = judged.find((r) => r.sentHex)!;
  assert.ok(withBytes, "a conformance cell that kept the adversary's bytes");
  const cell = await get(`/runs/${run.id}/cells/${cellSlug(withBytes)}`);
  assert.equal(cell.status, 200);
  assert.ok(cell.body.includes(verdictText(verdict(withBytes))));
  assert.ok(cell.body.includes(withBytes.sentHex!.slice(0, 64)));
});
