import assert from "node:assert/strict";
import { exportSite, linksIn } from "./site.ts";
import { fixtureReports, FIXTURES } from "../testing/web.ts";

async function* htmlFiles(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) yield* htmlFiles(dir, rel);
    else if (e.name.endsWith(".html")) yield rel;
  }
}

const exists = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);

/** Every href/src/action in every exported page names an exported file; none is absolute. */
async function brokenLinks(
  out: string,
): Promise<{ pages: number; links: number; broken: string[] }> {
  let pages = 0, links = 0;
  const broken: string[] = [];
  for await (const file of htmlFiles(out)) {
    pages++;
    const html = await Deno.readTextFile(`${out}/${file}`);
    for (const link of linksIn(html)) {
      // Relative only: the site must work under GitHub Pages' /<repo>/ sub-path.
      if (link.startsWith("/") || /^[a-z]+:/.test(link)) {
        broken.push(`${file} → ${link} (absolute)`);
      }
      if (link.startsWith("#")) continue;
      links++;
      const url = new URL(link, `http://site/${file}`);
      const path = decodeURIComponent(url.pathname);
      const target = `${out}${path.endsWith("/") ? `${path}index.html` : path}`;
      if (!(await exists(target))) broken.push(`${file} → ${link}`);
    }
  }
  return { pages, links, broken };
}

Deno.test("the static export passes a link check", async () => {
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  const written = await exportSite(FIXTURES, out);
  const reports = await fixtureReports();
  for (const r of reports) {
    assert.ok(written.includes(`runs/${r.id}/index.html`));
    assert.ok(written.includes(`api/runs/${r.id}.json`));
  }
  assert.ok(written.includes("index.html") && written.includes("runs/index.html"));
  assert.ok(written.includes("impl/ts/index.html") && written.includes("badge/ts.svg"));
  const cells = reports.reduce((n, r) => n + r.results.length, 0);
  assert.equal(
    written.filter((f) => /^runs\/[^/]+\/cells\/[^/]+\/index\.html$/.test(f)).length,
    cells,
  );

  const { pages, links, broken } = await brokenLinks(out);
  assert.deepEqual(broken, []);
  assert.ok(pages > cells && links > pages, `${pages} pages, ${links} links`);
  await Deno.remove(out, { recursive: true });
});

Deno.test("with --detail 1 only the newest run has cell pages, and links still resolve", async () => {
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  const written = await exportSite(FIXTURES, out, { detailRuns: 1 });
  const [latest, older] = await fixtureReports();
  assert.ok(written.some((f) => f.startsWith(`runs/${latest.id}/cells/`)));
  assert.ok(!written.some((f) => f.startsWith(`runs/${older.id}/cells/`)));
  assert.ok(written.includes(`runs/${older.id}/index.html`), "the older matrix is still there");
  assert.ok(!written.includes(`api/runs/${older.id}.json`));
  assert.deepEqual((await brokenLinks(out)).broken, []);
  await Deno.remove(out, { recursive: true });
});
