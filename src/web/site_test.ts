import assert from "node:assert/strict";
import { exportSite, linksIn } from "./site.ts";
import { fixtureReports, FIXTURES } from "./testing.ts";

async function* htmlFiles(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) yield* htmlFiles(dir, rel);
    else if (e.name.endsWith(".html")) yield rel;
  }
}

const exists = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);

Deno.test("the static export passes a link check", async () => {
  const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
  const written = await exportSite(FIXTURES, out);
  const reports = await fixtureReports();
  for (const r of reports) assert.ok(written.includes(`runs/${r.id}/index.html`));
  assert.ok(written.includes("index.html") && written.includes("runs/index.html"));
  assert.ok(written.includes("impl/ts/index.html") && written.includes("badge/ts.svg"));

  let pages = 0, links = 0;
  const broken: string[] = [];
  for await (const file of htmlFiles(out)) {
    pages++;
    const html = await Deno.readTextFile(`${out}/${file}`);
    for (const link of linksIn(html)) {
      // Relative only: the site must work under GitHub Pages' /<repo>/ sub-path.
      assert.ok(!link.startsWith("/") && !/^[a-z]+:/.test(link), `${file}: ${link}`);
      if (link.startsWith("#")) continue;
      links++;
      const url = new URL(link, `http://site/${file}`);
      const path = decodeURIComponent(url.pathname);
      const target = `${out}${path.endsWith("/") ? `${path}index.html` : path}`;
      if (!(await exists(target))) broken.push(`${file} → ${link}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(pages > reports.length && links > pages, `${pages} pages, ${links} links`);
  await Deno.remove(out, { recursive: true });
});
