// Shared by the web tests: the real report fixtures under testdata/ (see its README for the
// commands that made them): three of schema 1 and one of schema 2 with its evidence file. Tests
// read their expectations from these reports rather than hard-coding strings, so a new fixture
// from a newer run drops in.

import type { Run } from "../report/read.ts";
import type { Report } from "../report/schema.ts";
import { linksIn } from "../web/site.ts";
import { ReportStore } from "../web/store.ts";

export const FIXTURES = new URL("../web/testdata/runs", import.meta.url).pathname;

/** The fixture runs' reports, newest first. */
export async function fixtureReports(): Promise<Report[]> {
  return (await fixtureRuns()).map((r) => r.report);
}

export async function fixtureRuns(): Promise<Run[]> {
  return await new ReportStore(FIXTURES).list();
}

/** A fresh temporary directory holding copies of the fixtures (for tests that add files). */
export async function fixtureCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-web-" });
  for await (const e of Deno.readDir(FIXTURES)) {
    if (e.isFile) await Deno.copyFile(`${FIXTURES}/${e.name}`, `${dir}/${e.name}`);
  }
  return dir;
}

async function* htmlFiles(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) yield* htmlFiles(dir, rel);
    else if (e.name.endsWith(".html")) yield rel;
  }
}

export const exists = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);

/** Every href/src/action in every exported page names an exported file; none is absolute. */
export async function brokenLinks(
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
