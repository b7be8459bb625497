// `deno task impl check`: a newcomer's manifest and shim (docs/examples/node-tls, written from
// docs/peer-contract.md alone) pass the smoke set against the reference peer and OpenSSL; a broken
// manifest gets one line per problem and exit 2; an --impl-file that clashes is refused.

import assert from "node:assert/strict";
import { main as impl } from "./impl_cli.ts";
import { main as interop } from "./main.ts";
import { REPO_ROOT } from "../runtime/paths.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const EXAMPLE = `${REPO_ROOT}/docs/examples/node-tls/impl.json`;

Deno.test({
  name: "impl check: the worked example is ready, every smoke cell against ts and openssl passes",
  ...opts,
  async fn() {
    const lines: string[] = [];
    const code = await impl(["check", EXAMPLE], (l) => lines.push(l));
    const out = lines.join("\n");
    assert.equal(code, 0, out);
    assert.match(out, /^version: node \d+\.\d+\.\d+, OpenSSL 3\./m);
    // A classic, a hybrid and a pure ML-KEM case, each against both partners in both roles.
    const cells = lines.filter((l) => /^[✓✗·] /.test(l));
    assert.equal(cells.length, 12, out);
    assert.ok(cells.every((l) => l.startsWith("✓")), out);
    for (const pair of ["ts->node", "node->ts", "openssl->node", "node->openssl"]) {
      assert.ok(cells.some((l) => l.includes(`hybrid/X25519MLKEM768@${pair}`)), pair);
    }
  },
});

Deno.test("impl check: a broken manifest gets one line per field, naming the file, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/impl.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      id: "openssl",
      name: "x",
      image: { tag: "nope:1" },
      program: ["/shim"],
      version: ["/shim", "-v"],
      capabilities: { groups: { MLKEM2048: true }, features: { earlyData: { lacks: "" } } },
    }),
  );
  const lines: string[] = [];
  assert.equal(await impl(["check", file], (l) => lines.push(l)), 2);
  const problems = lines.filter((l) => l.startsWith(`${file}: `));
  assert.equal(problems.length, 3, lines.join("\n"));
  assert.match(problems.join("\n"), /id: "openssl" is taken \(taken: ts, openssl, /);
  assert.match(problems.join("\n"), /capabilities\.groups\.MLKEM2048: unknown group/);
  assert.match(problems.join("\n"), /capabilities\.features\.earlyData: a "no" needs a reason/);

  // The same file given to a run: the run does not start, and says why, line by line.
  const run: string[] = [];
  assert.equal(await interop(["--impl-file", file, "--list"], { print: (l) => run.push(l) }), 2);
  assert.deepEqual(run, problems);
  await Deno.remove(dir, { recursive: true });
});
