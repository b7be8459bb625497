// The pages in a real browser: Debian's Chromium driven by playwright-core against `serve` on a
// free 127.0.0.1 port with the real fixtures. Screenshots go to .cache/screenshots/.

import assert from "node:assert/strict";
import axe from "axe-core";
import { chromium, type Page } from "playwright-core";
import { serve } from "./serve.ts";
import { exportSite } from "./site.ts";
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

Deno.test({
  name: "matrix, filter and cell page in headless Chromium",
  // playwright keeps pipes and timers of its own beyond the test's lifetime.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await ensureChromium();
    await Deno.mkdir(SHOTS, { recursive: true });
    const [latest] = await fixtureReports();
    const server = serve({ reports: FIXTURES, port: 0, onListen: () => {} });
    const base = `http://127.0.0.1:${server.addr.port}`;
    const profile = await Deno.makeTempDir({ prefix: "pqinterop-chromium-" });
    // A fresh profile: playwright passes it to Chromium as --user-data-dir.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 900 },
      args: ARGS,
      // Only so the accessibility checker can be injected; the CSP itself is checked in app_test.
      bypassCSP: true,
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

      await page.goto(`${base}/`);
      assert.equal(await page.locator("h1").innerText(), `Latest run: ${latest.id}`);
      const all = await page.locator("td[data-outcome]").count();
      assert.equal(all, latest.results.length);
      await page.screenshot({ path: `${SHOTS}/matrix.png`, fullPage: false });
      assert.deepEqual(await accessibilityViolations(page), [], "matrix page");

      // Filter by one implementation through the form, as a reader would.
      const impl = latest.results.find((r) => r.client !== r.server)?.server ?? "ts";
      await page.selectOption("select[name=impl]", impl);
      await Promise.all([page.waitForURL(/impl=/), page.click("form.filters button")]);
      assert.match(page.url(), new RegExp(`impl=${impl}`));
      const filtered = await page.locator("td[data-outcome]").count();
      assert.equal(
        filtered,
        latest.results.filter((r) => r.client === impl || r.server === impl).length,
      );
      assert.equal(await page.locator("select[name=impl]").inputValue(), impl);
      await page.screenshot({ path: `${SHOTS}/matrix-filtered.png` });

      // Open the first cell of the filtered view.
      const cell = page.locator("td[data-outcome] a").first();
      const word = await cell.locator(".word").innerText();
      await Promise.all([page.waitForURL(/\/cells\//), cell.click()]);
      assert.match(await page.locator("h1").innerText(), /\(client\) → .* \(server\)/);
      assert.match(await page.locator(".banner-outcome").innerText(), new RegExp(word));
      for (const heading of ["Expected and observed", "On the wire", "Logs", "Builds"]) {
        assert.equal(await page.getByRole("heading", { name: heading }).count(), 1, heading);
      }
      await page.screenshot({ path: `${SHOTS}/cell.png`, fullPage: true });
      assert.deepEqual(await accessibilityViolations(page), [], "cell page");

      await page.goto(`${base}/runs`);
      assert.equal(await page.locator("h1").innerText(), "Run history");
      await page.screenshot({ path: `${SHOTS}/runs.png` });
      assert.deepEqual(await accessibilityViolations(page), [], "runs page");
      assert.deepEqual(errors, [], "no console errors (CSP violations show up here)");
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(profile, { recursive: true });
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
        : "application/json";
      return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
    } catch {
      return new Response("", { status: 404 });
    }
  });
}

Deno.test({
  name: "the static export under a sub-path: filters and ?run= work through its script",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await ensureChromium();
    const [latest, older] = await fixtureReports();
    const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
    await exportSite(FIXTURES, out);
    const host = staticHost(out, "/pqinterop/");
    const base = `http://127.0.0.1:${host.addr.port}/pqinterop/`;
    const profile = await Deno.makeTempDir({ prefix: "pqinterop-chromium-" });
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 900 },
      args: ARGS,
    });
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on("response", (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));

      const suite = latest.results[0].suite;
      await page.goto(`${base}?suite=${suite}`);
      const visible = page.locator("td[data-outcome]:not(.filtered-out):visible");
      assert.equal(await visible.count(), latest.results.filter((r) => r.suite === suite).length);
      assert.equal(await page.locator("select[name=suite]").inputValue(), suite);
      await page.screenshot({ path: `${SHOTS}/static-filtered.png` });

      await page.goto(`${base}?run=${older.id}`);
      await page.waitForURL(new RegExp(`/pqinterop/runs/${older.id}/$`));
      assert.equal(await page.locator("td[data-outcome]").count(), older.results.length);

      // A deep page's relative links climb back to the sub-path, not to the host's root.
      await page.locator("header.site a.brand").click();
      await page.waitForURL(base);
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
      await host.shutdown();
      await Deno.remove(profile, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
