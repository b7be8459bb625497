// What an implementation supports, read from results rather than claimed: per suite and role the
// tally of outcomes, per group which roles negotiated it, the reasons it gave for "unsupported",
// and its builds as recorded by the runs.

import type { Provenance } from "../contract/provenance.ts";
import type { Role } from "../tls/names.ts";
import type { Outcome, Report, Result } from "../report/schema.ts";

export type Tally = Partial<Record<Outcome, number>> & { total: number };

export interface Support {
  /** `suite → role → tally` for cells where the implementation played that role. */
  suites: Map<string, Record<Role, Tally>>;
  /** Groups it completed a handshake with, per role. */
  groups: Map<string, Record<Role, number>>;
  /** Distinct reasons for unsupported cells, with how many cells gave each. */
  unsupported: Map<string, number>;
}

const emptyTally = (): Tally => ({ total: 0 });

function roles(impl: string, r: Result): Role[] {
  return [
    ...(r.client === impl ? ["client" as const] : []),
    ...(r.server === impl ? ["server" as const] : []),
  ];
}

export function supportOf(impl: string, report: Report): Support {
  const s: Support = { suites: new Map(), groups: new Map(), unsupported: new Map() };
  for (const r of report.results) {
    for (const role of roles(impl, r)) {
      if (!s.suites.has(r.suite)) {
        s.suites.set(r.suite, { client: emptyTally(), server: emptyTally() });
      }
      const t = s.suites.get(r.suite)![role];
      t[r.outcome] = (t[r.outcome] ?? 0) + 1;
      t.total++;
      const g = r.observed?.group;
      if (r.outcome === "pass" && g) {
        if (!s.groups.has(g)) s.groups.set(g, { client: 0, server: 0 });
        s.groups.get(g)![role]++;
      }
    }
    if (r.outcome === "unsupported" && roles(impl, r).length > 0) {
      s.unsupported.set(r.reason, (s.unsupported.get(r.reason) ?? 0) + 1);
    }
  }
  return s;
}

/** A stretch of consecutive runs in which an implementation's build stayed the same. */
export interface VersionSpan {
  provenance: Provenance;
  newest: { id: string; startedAt: string };
  oldest: { id: string; startedAt: string };
  runs: number;
}

const sameBuild = (a: Provenance, b: Provenance) =>
  a.version === b.version && a.build === b.build && a.image?.id === b.image?.id;

/** The implementation's builds across runs (given newest first), one span per change. */
export function versionsOver(impl: string, reports: Report[]): VersionSpan[] {
  const spans: VersionSpan[] = [];
  for (const r of reports) {
    const p = (r.implementations as Record<string, Provenance | undefined>)[impl];
    if (!p) continue;
    const run = { id: r.id, startedAt: r.startedAt };
    const last = spans.at(-1);
    if (last && sameBuild(last.provenance, p)) {
      last.oldest = run;
      last.runs++;
    } else spans.push({ provenance: p, newest: run, oldest: run, runs: 1 });
  }
  return spans;
}

/** Pass count and total of the cells an implementation took part in (for its badge). */
export function passCount(impl: string, report: Report): { pass: number; total: number } {
  const mine = report.results.filter((r) => r.client === impl || r.server === impl);
  return { pass: mine.filter((r) => r.outcome === "pass").length, total: mine.length };
}
