// Two releases of one library in the same run (`openssl` and `openssl@3.6`): the same case against
// the same counterpart, once with each release in the same role. What differs between the two is
// what changed between the releases, with the rest of the run held still.

import { cellId, type Report, type Result } from "../report/schema.ts";
import { versionedLibraries } from "./impls.ts";
import { indexOf } from "./runindex.ts";
import { type Tally, tallyOf } from "./tally.ts";

export interface ReleaseDiffer {
  /** The cell with the older release and the one with the newer; null when only one ran. */
  before: Result | null;
  after: Result | null;
}

export interface ReleaseStep {
  library: string;
  from: string;
  to: string;
  /** Per suite: each release's tally over the cells it played in (same counterparts). */
  suites: { suite: string; from: Tally; to: Tally; differ: number }[];
  differ: ReleaseDiffer[];
}

/** The cell id with one implementation put in the other's place, on whichever sides it plays. */
const swapped = (r: Result, from: string, to: string): string =>
  cellId({
    case: r.case,
    client: r.client === from ? to : r.client,
    server: r.server === from ? to : r.server,
  });

const plays = (r: Result, id: string) => r.client === id || r.server === id;
const differs = (a: Result | null, b: Result | null) =>
  !a || !b || a.outcome !== b.outcome ||
  (a.observed?.group ?? null) !== (b.observed?.group ?? null);

/** For each library with several versions, one step per neighbouring pair of versions. */
export function releaseSteps(report: Report): ReleaseStep[] {
  const byId = new Map(report.results.map((r) => [cellId(r), r]));
  const steps: ReleaseStep[] = [];
  for (const [library, ids] of versionedLibraries(indexOf(report).impls)) {
    for (let i = 1; i < ids.length; i++) {
      const [from, to] = [ids[i - 1], ids[i]];
      // Cells where exactly one of the two releases plays: a cell with both says nothing new.
      const mine = report.results.filter((r) => plays(r, from) && !plays(r, to));
      const pairs: ReleaseDiffer[] = mine.map((before) => ({
        before,
        after: byId.get(swapped(before, from, to)) ?? null,
      }));
      for (const after of report.results.filter((r) => plays(r, to) && !plays(r, from))) {
        if (!byId.has(swapped(after, to, from))) pairs.push({ before: null, after });
      }
      const suites = [...new Set(pairs.map((p) => (p.before ?? p.after)!.suite))].map((suite) => {
        const here = pairs.filter((p) => (p.before ?? p.after)!.suite === suite);
        return {
          suite,
          from: tallyOf(here.flatMap((p) => (p.before ? [p.before] : []))),
          to: tallyOf(here.flatMap((p) => (p.after ? [p.after] : []))),
          differ: here.filter((p) => differs(p.before, p.after)).length,
        };
      });
      const differ = pairs.filter((p) => differs(p.before, p.after));
      steps.push({ library, from, to, suites, differ });
    }
  }
  return steps;
}
