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
