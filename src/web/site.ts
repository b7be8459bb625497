// `deno task site [--reports DIR] [--out DIR] [--detail N]`: the results service exported as
// static files for GitHub Pages. It crawls the app from `/` through `app.request()`, following
// every link a page makes, so what is exported is exactly what is reachable, and a link to a page
// that does not render is an error here rather than a 404 for a reader. Page directories get
// index.html.
//
// A static host has no query strings and cannot read one cell out of a run's evidence file, so the
// pages carry a small script (static/site.js) that turns `?run=` and the compare form into the
// pre-rendered paths, and a cell page's evidence is a gzipped fragment beside it that the script
// puts in place. Diffs exist for consecutive runs and for every run against the latest (the pairs
// the pages link to). With `--detail N` only the newest N runs get pages below their summary and
// JSON; older runs keep their summary.

import { parseArgs } from "node:util";
import { createApp } from "./app.tsx";
import { paths } from "./links.ts";
import { ReportStore } from "./store.ts";

/** href/src/action values in a page, with `&amp;` undone (the script's data-src is an href too). */
export function linksIn(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) =>
    m[1].replaceAll("&amp;", "&")
  );
}

/** The file a site path is stored in: directories hold index.html. */
export const fileFor = (path: string): string =>
  (path.endsWith("/") ? `${path}index.html` : path).replace(/^\//, "");

export async function exportSite(
  reportsDir: string,
  outDir: string,
  options: { detailRuns?: number } = {},
): Promise<string[]> {
  const store = new ReportStore(reportsDir);
  const app = createApp(store, { staticSite: true, detailRuns: options.detailRuns });
  const runs = await store.list();
  const seeds = ["/", `/${paths.apiRuns}`, `/${paths.script}`];
  for (const r of runs.slice(1)) seeds.push(`/${paths.diff(r.report.id, runs[0].report.id)}`);
  const queue = [...seeds];
  const seen = new Set(queue);
  const written: string[] = [];
  await Deno.mkdir(outDir, { recursive: true });
  while (queue.length > 0) {
    const path = queue.shift()!;
    const res = await app.request(path);
    if (res.status !== 200) throw new Error(`site: ${path} answered ${res.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const file = `${outDir}/${fileFor(path)}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(file, body);
    written.push(fileFor(path));
    if (!res.headers.get("content-type")?.startsWith("text/html")) continue;
    for (const link of linksIn(new TextDecoder().decode(body))) {
      const url = new URL(link, `http://site${path}`);
      if (url.host !== "site") continue;
      if (!seen.has(url.pathname)) {
        seen.add(url.pathname);
        queue.push(url.pathname);
      }
    }
  }
  // GitHub Pages: serve files as they are (no Jekyll), and a not-found page of our own.
  await Deno.writeTextFile(`${outDir}/.nojekyll`, "");
  const missing = await app.request("/404.html");
  await Deno.writeFile(`${outDir}/404.html`, new Uint8Array(await missing.arrayBuffer()));
  return written;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reports: { type: "string", default: "reports/runs" },
      out: { type: "string", default: "site-out" },
      detail: { type: "string" },
    },
  });
  const detailRuns = values.detail === undefined ? undefined : Number(values.detail);
  if (detailRuns !== undefined && !(Number.isInteger(detailRuns) && detailRuns >= 0)) {
    console.error(`site: --detail takes a number of runs, got "${values.detail}"`);
    Deno.exit(2);
  }
  // The store names each file it could not show on stderr (and the pages name them too).
  const files = await exportSite(values.reports!, values.out!, { detailRuns });
  let bytes = 0;
  for (const f of files) bytes += (await Deno.stat(`${values.out}/${f}`)).size;
  console.log(
    `site: wrote ${files.length} files (${(bytes / 1e6).toFixed(1)} MB) to ${values.out}`,
  );
}
