// The pages in a real browser: Debian's Chromium driven by playwright-core against `serve` on a
// free 127.0.0.1 port with the real fixtures, and against the static export on a plain file host.
// The summary, its weight as received, the drill-down to a cell, a permalink, and axe-core's WCAG
// 2 A/AA check on every kind of page. Screenshots go to .cache/screenshots/.

import assert from "node:assert/strict";
import axe from "axe-core";
import { chromium, type Page } from "playwright-core";
import { serve } from "./serve.ts";
import { exportSite } from "./site.ts";
import { cellSlug } from "./cells.ts";
import { fixtureReports, FIXTURES } from "../testing/web.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = new URL("../../.cache/screenshots", import.meta.url).pathname;

/** Installs Debian's chromium when missing, so a fresh machine runs this test too. */
async function ensureChromium(): Promise<void> {
  if (await Deno.stat(CHROMIUM).then(() => true, () => false)) return;
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const { code, stderr } = await new Deno.Command("apt-get", { args, env, stdout: "null" })
      .output();
    if (code !== 0) {
      throw new Error(`apt-get ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
    }
  }
}

/** WCAG 2 A/AA violations axe-core finds on the page, as "rule: first offending element". */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(() =>
    // deno-lint-ignore no-explicit-any
    (globalThis as any).axe.run({ runOnly: ["wcag2a", "wcag2aa"] })
  ) as { passes: unknown[]; violations: { id: string; nodes: { target: string[] }[] }[] };
  assert.ok(result.passes.length > 10, "axe-core checked the page");
  return result.violations.map((v) => `${v.id}: ${v.nodes[0]?.target.join(" ")}`);
}

/** Opens Chromium with a fresh profile; `fn` gets a page that records errors and bad answers. */
async function withBrowser(
  fn: (page: Page, problems: string[]) => Promise<void>,
  { bypassCSP = false } = {},
): Promise<void> {
  await ensureChromium();
  await Deno.mkdir(SHOTS, { recursive: true });
  const profile = await Deno.makeTempDir({ prefix: "pqinterop-chromium-" });
  // A fresh profile: playwright passes it to Chromium as --user-data-dir.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: ARGS,
    bypassCSP,
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await fn(page, problems);
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true });
  }
}

const clickTo = async (page: Page, link: ReturnType<Page["locator"]>, url: RegExp) => {
  await Promise.all([page.waitForURL(url), link.click()]);
};

Deno.test({
  name: "the summary, its weight, the drill-down to a cell and a permalink, in Chromium",
  // playwright keeps pipes and timers of its own beyond the test's lifetime.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [latest, older] = await fixtureReports();
    const server = serve({ reports: FIXTURES, port: 0, onListen: () => {} });
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      // Only so the accessibility checker can be injected; the CSP itself is checked in app_test.
      await withBrowser(async (page, problems) => {
        const res = await page.goto(`${base}/`);
        assert.equal(await page.locator("h1").innerText(), `Latest run: ${latest.id}`);
        // The weight, as the browser received it: compressed, and small either way.
        assert.match(res!.headers()["content-encoding"] ?? "", /^(br|gzip)$/);
        const weight = await page.evaluate(() => {
          // The browser's own account of the page it loaded (PerformanceNavigationTiming).
          const nav = performance.getEntriesByType("navigation")[0] as unknown as {
            encodedBodySize: number;
            decodedBodySize: number;
          };
          return { encoded: nav.encodedBodySize, decoded: nav.decodedBodySize };
        });
        assert.ok(weight.decoded <= 150_000, `/ is ${weight.decoded} bytes`);
        assert.ok(weight.encoded * 3 < weight.decoded, `${weight.encoded} on the wire`);
        // The summary: one grid row per client, one row per suite, the verdicts and the costs.
        const clients = new Set(latest.results.map((r) => r.client)).size;
        assert.equal(await page.locator("table.grid tbody tr").count(), clients);
        const suites = new Set(latest.results.map((r) => r.suite)).size;
        assert.equal(await page.locator("table.suites tbody tr").count(), suites);
        assert.equal(
          await page.getByRole("heading", { name: /how each library answers/ }).count(),
          1,
        );
        assert.equal(
          await page.getByRole("img", { name: /Bar chart of handshake bytes/ }).count(),
          1,
        );
        await page.screenshot({ path: `${SHOTS}/summary.png` });
        await page.screenshot({ path: `${SHOTS}/summary-full.png`, fullPage: true });
        assert.deepEqual(await accessibilityViolations(page), [], "summary");

        // Drill down: a pair from the grid, one of its suites, one of its cells.
        const pair = "openssl~ts";
        await clickTo(
          page,
          page.locator(`table.grid a[href$="pairs/${pair}/"]`),
          /\/pairs\/openssl~ts\/$/,
        );
        assert.equal(await page.locator("h1").innerText(), "openssl (client) → ts (server)");
        assert.deepEqual(await accessibilityViolations(page), [], "pair page");
        await clickTo(
          page,
          page.getByRole("link", { name: "conformance", exact: true }),
          /\/conformance\/$/,
        );
        const rows = latest.results.filter((r) =>
          r.client === "openssl" && r.server === "ts" && r.suite === "conformance"
        );
        assert.equal(await page.locator("table.cells tbody tr").count(), rows.length);
        await page.screenshot({ path: `${SHOTS}/pair-suite.png` });
        assert.deepEqual(await accessibilityViolations(page), [], "pair-suite page");
        const cell = page.locator('table.cells tr[data-outcome="fail"] a').first();
        await clickTo(page, cell, /\/cells\//);
        assert.match(await page.locator("h1").innerText(), /openssl \(client\) → ts \(server\)/);
        assert.match(await page.locator(".banner-outcome").innerText(), /fail/);
        for (
          const heading of [
            "Expected and observed",
            "On the wire",
            "Annotated handshake transcript",
            "Logs",
            "Builds",
          ]
        ) {
          assert.equal(await page.getByRole("heading", { name: heading }).count(), 1, heading);
        }
        await page.screenshot({ path: `${SHOTS}/cell.png`, fullPage: true });
        assert.deepEqual(await accessibilityViolations(page), [], "cell page");

        // A permalink opens the same cell in a fresh page.
        const permalink = page.url();
        const title = await page.locator("h1").innerText();
        const fresh = await page.context().newPage();
        await fresh.goto(permalink);
        assert.equal(await fresh.locator("h1").innerText(), title);
        await fresh.close();

        // A suite page, and an older run by ?run=.
        await page.goto(`${base}/`);
        await clickTo(
          page,
          page.locator("table.suites a", { hasText: "hybrid" }),
          /\/suites\/hybrid\/$/,
        );
        assert.deepEqual(await accessibilityViolations(page), [], "suite page");
        await page.goto(`${base}/?run=${older.id}`);
        await page.waitForURL(new RegExp(`/runs/${older.id}/$`));
        assert.equal(await page.locator("h1").innerText(), `Run ${older.id}`);
        await page.goto(`${base}/runs`);
        assert.deepEqual(await accessibilityViolations(page), [], "runs page");
        assert.deepEqual(problems, [], "no console errors (CSP violations show up here), no 4xx");
      }, { bypassCSP: true });
    } finally {
      await server.shutdown();
    }
  },
});

/** A static host like GitHub Pages: files under a sub-path, directories serve index.html. */
function staticHost(root: string, prefix: string) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (!path.startsWith(prefix) || path.includes("..")) return new Response("", { status: 404 });
    const rel = path.slice(prefix.length);
    const file = `${root}/${rel === "" || rel.endsWith("/") ? `${rel}index.html` : rel}`;
    try {
      const type = file.endsWith(".html")
        ? "text/html"
        : file.endsWith(".css")
        ? "text/css"
        : file.endsWith(".js")
        ? "text/javascript"
        : file.endsWith(".svg")
        ? "image/svg+xml"
        : file.endsWith(".gz")
        ? "application/gzip"
        : "application/json";
      return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
    } catch {
      return new Response("", { status: 404 });
    }
  });
}

Deno.test({
  name: "the static export under a sub-path: ?run= and a cell's evidence through its script",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [latest, older] = await fixtureReports();
    const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
    await exportSite(FIXTURES, out);
    const host = staticHost(out, "/pqinterop/");
    const base = `http://127.0.0.1:${host.addr.port}/pqinterop/`;
    try {
      await withBrowser(async (page, problems) => {
        await page.goto(base);
        assert.equal(await page.locator("h1").innerText(), `Latest run: ${latest.id}`);

        await page.goto(`${base}?run=${older.id}`);
        await page.waitForURL(new RegExp(`/pqinterop/runs/${older.id}/$`));

        // A cell page (the export has them for cells that did not pass): the script fetches the
        // gzipped details and puts them in place.
        const r = latest.results.find((x) =>
          x.case.startsWith("conformance/") && x.outcome === "fail"
        )!;
        await page.goto(`${base}runs/${latest.id}/cells/${cellSlug(r)}/`);
        const transcript = page.getByRole("heading", { name: "Annotated handshake transcript" });
        await transcript.waitFor();
        assert.equal(await page.locator("#evidence ol.transcript > li").count() > 0, true);
        await page.screenshot({ path: `${SHOTS}/static-cell.png` });
        assert.deepEqual(await accessibilityViolations(page), [], "static cell page");

        // A deep page's relative links climb back to the sub-path, not to the host's root.
        await page.locator("header.site a.brand").click();
        await page.waitForURL(base);
        assert.deepEqual(problems, []);
      }, { bypassCSP: true });
    } finally {
      await host.shutdown();
      await Deno.remove(out, { recursive: true });
    }
  },
});
