// The mutation runner's own judgement: a fault that no longer fits its file is refused rather than
// silently skipped, every fault in the table still fits today's code, and a test run counts as a
// catch only when a test failed (not when the tests could not even load).

import assert from "node:assert/strict";
import { applyMutation, readTestOutput, StaleMutation } from "./mutate.ts";
import { MUTATIONS } from "./mutations.ts";

const fault = { id: "x/y", file: "f.ts", find: "a < b", replace: "a <= b" };

Deno.test("mutate: a fault applies where its text occurs once, and nowhere else", () => {
  assert.equal(applyMutation("if (a < b) go();", fault), "if (a <= b) go();");
  assert.throws(() => applyMutation("if (a > b) go();", fault), StaleMutation);
  assert.throws(
    () => applyMutation("a < b; a < b;", fault),
    (e) => e instanceof StaleMutation && /more than once/.test(e.message),
  );
});

Deno.test("mutate: every fault in the table fits the file it names, and ids are unique", async () => {
  const root = new URL("../../", import.meta.url);
  for (const m of MUTATIONS) {
    const text = await Deno.readTextFile(new URL(m.file, root));
    assert.notEqual(applyMutation(text, m), text, m.id);
    for (const t of m.tests) await Deno.stat(new URL(t, root));
  }
  assert.equal(new Set(MUTATIONS.map((m) => m.id)).size, MUTATIONS.length);
});

Deno.test("mutate: a failed assertion is a catch, a module that does not load is not", () => {
  const failed = readTestOutput(
    [
      "running 2 tests from ./src/a_test.ts",
      "shards partition the plan ... FAILED (3ms)",
      "other ... ok (1ms)",
      "FAILED | 1 passed | 1 failed (40ms)",
    ].join("\n"),
    1,
  );
  assert.deepEqual([failed.status, failed.failed], ["failed", ["shards partition the plan"]]);
  const passed = readTestOutput("other ... ok (1ms)\n\nok | 1 passed | 0 failed (9ms)\n", 0);
  assert.equal(passed.status, "passed");
  const broken = readTestOutput("error: The module's source code could not be parsed\n", 1);
  assert.equal(broken.status, "broken");
});
