// What changed between two runs, cell by cell: what broke (passed before, not now), what got
// fixed, what negotiated another group, and cells that appear in only one of the runs.

import { cellId, type Report, type Result } from "../report/schema.ts";

export interface Change {
  id: string;
  before: Result | null;
  after: Result | null;
}

export interface RunDiff {
  broke: Change[];
  fixed: Change[];
  groupChanged: Change[];
  /** Other outcome changes that are neither (e.g. timeout → error, unsupported → fail). */
  otherChanged: Change[];
  added: Change[];
  removed: Change[];
  unchanged: number;
}

const group = (r: Result) => r.observed?.group ?? null;

export function diffRuns(from: Report, to: Report): RunDiff {
  const before = new Map(from.results.map((r) => [cellId(r), r]));
  const d: RunDiff = {
    broke: [],
    fixed: [],
    groupChanged: [],
    otherChanged: [],
    added: [],
    removed: [],
    unchanged: 0,
  };
  for (const after of to.results) {
    const id = cellId(after);
    const old = before.get(id) ?? null;
    before.delete(id);
    const c = { id, before: old, after };
    if (!old) d.added.push(c);
    else if (old.outcome === "pass" && after.outcome !== "pass") d.broke.push(c);
    else if (old.outcome !== "pass" && after.outcome === "pass") d.fixed.push(c);
    else if (old.outcome !== after.outcome) d.otherChanged.push(c);
    else if (group(old) !== group(after)) d.groupChanged.push(c);
    else d.unchanged++;
  }
  for (const [id, old] of before) d.removed.push({ id, before: old, after: null });
  return d;
}
