import assert from "node:assert/strict";
import { cellId } from "../report/schema.ts";
import { diffRuns } from "./diff.ts";
import { fixtureReports } from "../testing/web.ts";

Deno.test("a diff accounts for every cell of both runs exactly once", async () => {
  const [to, from] = await fixtureReports();
  const before = new Set(from.results.map(cellId));
  const after = new Set(to.results.map(cellId));
  const both = [...after].filter((id) => before.has(id)).length;
  const d = diffRuns(from, to);
  assert.equal(d.added.length, after.size - both);
  assert.equal(d.removed.length, before.size - both);
  const changed = d.broke.length + d.fixed.length + d.groupChanged.length + d.otherChanged.length;
  assert.equal(changed + d.unchanged, both);
  for (const c of d.broke) assert.ok(c.before?.outcome === "pass" && c.after?.outcome !== "pass");
  for (const c of d.fixed) assert.ok(c.before?.outcome !== "pass" && c.after?.outcome === "pass");
  // Against itself nothing changes.
  const same = diffRuns(to, to);
  assert.equal(same.unchanged, to.results.length);
});

Deno.test("a diff finds exactly the cells that broke, got fixed or changed group", async () => {
  const [run] = await fixtureReports();
  const failing = run.results.find((r) => r.outcome === "fail")!;
  const passing = run.results.find((r) => r.outcome === "pass" && r.observed?.group)!;
  const other = run.results.find((r) =>
    r.outcome === "pass" && r !== passing && r.observed?.group
  )!;
  const next = {
    ...run,
    results: run.results.map((r) =>
      r === failing
        ? { ...r, outcome: "pass" as const }
        : r === passing
        ? { ...r, outcome: "fail" as const }
        : r === other
        ? { ...r, observed: { ...r.observed!, group: "x25519" as const } }
        : r
    ),
  };
  const d = diffRuns(run, next);
  assert.deepEqual(d.fixed.map((c) => c.id), [cellId(failing)]);
  assert.deepEqual(d.broke.map((c) => c.id), [cellId(passing)]);
  assert.deepEqual(
    d.groupChanged.map((c) => c.id),
    other.observed!.group === "x25519" ? [] : [cellId(other)],
  );
  assert.equal(d.unchanged, run.results.length - 2 - d.groupChanged.length);
});
