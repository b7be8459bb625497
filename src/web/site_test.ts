import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { cellSlug } from "./cells.ts";
import { exportSite } from "./site.ts";
import { brokenLinks, exists, fixtureReports, FIXTURES } from "../testing/web.ts";

Deno.test("the static export passes a link check, and cells carry their evidence", async () => {
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  try {
    const written = await exportSite(FIXTURES, out);
    const reports = await fixtureReports();
    for (const r of reports) {
      assert.ok(written.includes(`runs/${r.id}/index.html`));
      assert.ok(written.includes(`api/runs/${r.id}.json.gz`));
      for (const suite of new Set(r.results.map((x) => x.suite))) {
        assert.ok(written.includes(`runs/${r.id}/suites/${suite}/index.html`), suite);
      }
    }
    assert.ok(written.includes("index.html") && written.includes("runs/index.html"));
    assert.ok(written.includes("impl/ts/index.html") && written.includes("badge/ts.svg"));
    // Every cell that ran and did not pass has a page and its compressed details; passed and
    // unsupported ones have neither (a pass's row says what was negotiated).
    const paged = reports.flatMap((r) =>
      r.results.filter((x) => x.outcome !== "unsupported" && x.outcome !== "pass").map((x) =>
        `runs/${r.id}/cells/${cellSlug(x)}/`
      )
    );
    const pages = written.filter((f) => /^runs\/[^/]+\/cells\/[^/]+\/index\.html$/.test(f));
    assert.deepEqual(pages.sort(), paged.map((p) => `${p}index.html`).sort());
    assert.ok(paged.every((p) => written.includes(`${p}evidence.html.gz`)));

    const [latest] = reports;
    const r = latest.results.find((x) =>
      x.case.startsWith("conformance/") && x.outcome === "fail"
    )!;
    const dir = `${out}/runs/${latest.id}/cells/${cellSlug(r)}`;
    const page = await Deno.readTextFile(`${dir}/index.html`);
    assert.match(page, /<div id="evidence" data-src="evidence\.html\.gz">/);
    assert.match(page, /<script src="[./]*static\/site\.js" defer>/);
    const details = new TextDecoder().decode(
      gunzipSync(await Deno.readFile(`${dir}/evidence.html.gz`)),
    );
    assert.match(details, /Annotated handshake transcript/);
    assert.match(details, /Expected and observed/);
    assert.doesNotMatch(details, /<html/, "a fragment, not a page");

    // The report itself, gzipped (a static host cannot compress a file it stores).
    const json = gunzipSync(await Deno.readFile(`${out}/api/runs/${latest.id}.json.gz`));
    assert.equal(JSON.parse(new TextDecoder().decode(json)).results.length, latest.results.length);

    const { pages: n, links, broken } = await brokenLinks(out);
    assert.deepEqual(broken, []);
    assert.ok(n > paged.length && links > n, `${n} pages, ${links} links`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("with --detail 1 only the newest run has pages below its summary", async () => {
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  try {
    const written = await exportSite(FIXTURES, out, { detailRuns: 1 });
    const [latest, older] = await fixtureReports();
    assert.ok(written.some((f) => f.startsWith(`runs/${latest.id}/cells/`)));
    assert.ok(written.some((f) => f.startsWith(`runs/${latest.id}/pairs/`)));
    assert.ok(
      !written.some((f) =>
        f.startsWith(`runs/${older.id}/`) && f !== `runs/${older.id}/index.html` &&
        f !== `runs/${older.id}/chart.svg`
      ),
    );
    assert.ok(written.includes(`runs/${older.id}/index.html`), "the older summary is still there");
    assert.ok(!written.some((f) => f.startsWith(`api/runs/${older.id}`)));
    assert.deepEqual((await brokenLinks(out)).broken, []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("an empty folder exports the friendly page, and no link goes nowhere", async () => {
  const reports = await Deno.makeTempDir();
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  try {
    const written = await exportSite(reports, out);
    assert.match(await Deno.readTextFile(`${out}/index.html`), /No runs yet/);
    assert.ok(written.includes("api/runs.json"));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out}/api/runs.json`)), { runs: [] });
    const { pages, broken } = await brokenLinks(out);
    assert.deepEqual(broken, []);
    assert.ok(pages >= 3, `${pages} pages`);
    assert.ok(await exists(`${out}/404.html`));
  } finally {
    await Deno.remove(reports, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a damaged report does not stop the export; the page names it", async () => {
  const reports = await Deno.makeTempDir();
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  try {
    const [latest] = await fixtureReports();
    await Deno.copyFile(`${FIXTURES}/ts-openssl.json`, `${reports}/a.json`);
    await Deno.copyFile(`${FIXTURES}/ts-openssl.evidence.gz`, `${reports}/ts-openssl.evidence.gz`);
    await Deno.writeTextFile(`${reports}/b.json`, '{"schema": 2, "id": "x", "results": [');
    await exportSite(reports, out);
    const home = await Deno.readTextFile(`${out}/index.html`);
    assert.match(home, new RegExp(`<code>${latest.id}</code>`));
    assert.match(home, /<code>b\.json<\/code>: not valid JSON/);
    assert.deepEqual((await brokenLinks(out)).broken, []);
  } finally {
    await Deno.remove(reports, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
