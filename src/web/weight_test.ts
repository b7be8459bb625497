// Sizes on a full run: the real plan of the default run (every implementation `deno task interop`
// runs), each runnable cell carrying the evidence of a real cell of the same case
// (src/testing/fullrun.ts). The report stays under 5 MB, `/` under 150 KB raw for it and for every
// registered implementation with their other versions, and the static export of one run under
// 15 MB with every link resolving.

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { readRun } from "../report/read.ts";
import { createApp } from "./app.tsx";
import { exportSite } from "./site.ts";
import { ReportStore } from "./store.ts";
import { writeFullRuns } from "../testing/fullrun.ts";
import { brokenLinks } from "../testing/web.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import { planCells } from "../runner/plan.ts";
import { SUITES } from "../../suites/index.ts";

const DEFAULT_RUN = IMPLEMENTATIONS.filter((i) => i.inDefaultRun);

const MB = 1e6;
const KB = 1e3;

async function sizeOf(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0, bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      const inner = await sizeOf(path);
      files += inner.files;
      bytes += inner.bytes;
    } else {
      files++;
      bytes += (await Deno.stat(path)).size;
    }
  }
  return { files, bytes };
}

Deno.test({
  name: "a full run: report ≤ 5 MB, / ≤ 150 KB, its export ≤ 15 MB with no dead link",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pqinterop-full-" });
    const out = await Deno.makeTempDir({ prefix: "pqinterop-site-" });
    try {
      const [, newest] = await writeFullRuns(dir, { impls: DEFAULT_RUN.length, runs: 2 });
      const run = await readRun(newest);
      const plan = planCells(SUITES, DEFAULT_RUN, { impls: ["all"] });
      assert.equal(run.report.results.length, plan.length, "the default run's whole plan");
      console.log(`${plan.length} cells, ${DEFAULT_RUN.length} implementations`);
      const report = (await Deno.stat(newest)).size;
      console.log(`report ${(report / MB).toFixed(2)} MB`);
      assert.ok(report <= 5 * MB, `report ${report} bytes`);

      const app = createApp(new ReportStore(dir));
      const home = new Uint8Array(await (await app.request("/")).arrayBuffer());
      const gz = gzipSync(home).length;
      console.log(`/ ${(home.length / KB).toFixed(1)} KB raw, ${(gz / KB).toFixed(1)} KB gzip`);
      assert.ok(home.length <= 150 * KB, `/ is ${home.length} bytes`);
      assert.match(new TextDecoder().decode(home), /What changed since the previous run/);

      // One run's export: its own folder, as the nightly's newest run would be.
      const one = `${dir}/one`;
      await Deno.mkdir(one);
      for (const f of [newest, newest.replace(/\.json$/, ".evidence.gz")]) {
        await Deno.rename(f, `${one}/${f.slice(f.lastIndexOf("/") + 1)}`);
      }
      await exportSite(one, out);
      const { files, bytes } = await sizeOf(out);
      console.log(`export ${(bytes / MB).toFixed(2)} MB in ${files} files`);
      assert.ok(bytes <= 15 * MB, `export ${bytes} bytes`);
      assert.deepEqual((await brokenLinks(out)).broken, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("with every registered implementation and version / still weighs ≤ 150 KB", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-full-" });
  const all = IMPLEMENTATIONS.length;
  try {
    await writeFullRuns(dir, { impls: all, runs: 2, evidence: false });
    const app = createApp(new ReportStore(dir));
    const body = await (await app.request("/")).text();
    console.log(`/ with ${all} implementations: ${(body.length / KB).toFixed(1)} KB`);
    assert.match(body, new RegExp(`${all} implementations`));
    assert.match(body, /Releases side by side/);
    assert.ok(body.length <= 150 * KB, `/ is ${body.length} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
