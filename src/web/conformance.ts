// Conformance cells: the reference peer misbehaves on purpose and the library under test must
// answer with the right alert. The runner records what the library did (Result.conformance); this
// module reads that finding per cell, and counts the findings per library and role for the summary.

import type { Role } from "../tls/names.ts";
import {
  type Classification,
  CLASSIFICATIONS,
  type Report,
  type Result,
} from "../report/schema.ts";
import { implOrder } from "./impls.ts";
import { CONFORMANCE_SUITE, pairKey } from "./runindex.ts";

export { CONFORMANCE_SUITE };

/** The runner's finding, or why there is none (the cell errored, timed out or was unsupported). */
export type Verdict =
  | { kind: Classification; alert: string | null; expected: string | null }
  | { kind: "not-judged"; outcome: string };

export type VerdictKind = Verdict["kind"];
export const VERDICT_KINDS: readonly VerdictKind[] = [...CLASSIFICATIONS, "not-judged"];

/** Short column headings for the summary; verdictText says the same at length. */
export const VERDICT_HEADING: Record<VerdictKind, string> = {
  "correct-alert": "correct alert",
  "wrong-alert": "wrong alert",
  "closed-without-alert": "closed silently",
  "accepted": "accepted",
  "alert-unreadable": "alert unreadable",
  "tolerated": "tolerated (as allowed)",
  "not-applied": "not applied",
  "not-judged": "not judged",
};

/** Verdicts that mean the library got it wrong. */
export const BAD_VERDICTS: ReadonlySet<VerdictKind> = new Set([
  "wrong-alert",
  "closed-without-alert",
  "accepted",
]);

export function verdict(report: Report, r: Result): Verdict {
  if (!r.conformance) return { kind: "not-judged", outcome: r.outcome };
  const e = report.cases[r.case]?.expected;
  const expected = e?.kind === "alert" ? e.alert : null;
  return { kind: r.conformance.classification, alert: r.conformance.alert, expected };
}

/** The side the library under test played, as the runner recorded it (or the case implies). */
export function roleUnderTest(report: Report, r: Result): Role {
  if (r.conformance) return r.conformance.roleUnderTest;
  const e = report.cases[r.case]?.expected;
  if (e?.kind === "alert") return e.by;
  return r.client === "ts" && r.server !== "ts" ? "server" : "client";
}

export interface VerdictRow {
  impl: string;
  role: Role;
  counts: Record<VerdictKind, number>;
  total: number;
  /** The pairs these cells ran in (the reference peer on the other side), for the links. */
  pairs: string[];
}

/** One row per library and role, libraries in page order, client before server. */
export function verdictRows(report: Report): VerdictRow[] {
  const rows = new Map<string, VerdictRow>();
  for (const r of report.results) {
    if (r.suite !== CONFORMANCE_SUITE) continue;
    const role = roleUnderTest(report, r);
    const impl = role === "client" ? r.client : r.server;
    const key = `${impl} ${role}`;
    let row = rows.get(key);
    if (!row) {
      const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as VerdictRow["counts"];
      rows.set(key, row = { impl, role, counts, total: 0, pairs: [] });
    }
    row.counts[verdict(report, r).kind]++;
    row.total++;
    const pair = pairKey(r.client, r.server);
    if (!row.pairs.includes(pair)) row.pairs.push(pair);
  }
  const order = implOrder(report);
  return [...rows.values()].sort((a, b) =>
    order.indexOf(a.impl) - order.indexOf(b.impl) || a.role.localeCompare(b.role)
  );
}

export function verdictText(v: Verdict): string {
  switch (v.kind) {
    case "correct-alert":
      return `correct alert (${v.alert ?? v.expected})`;
    case "wrong-alert":
      return `wrong alert: ${v.alert ?? "?"} (expected ${v.expected ?? "?"})`;
    case "closed-without-alert":
      return "closed without an alert";
    case "accepted":
      return "accepted the bad input";
    case "alert-unreadable":
      return "alert unreadable (sent under keys only the peer has)";
    case "tolerated":
      return "tolerated, as the spec allows";
    case "not-applied":
      return "the misbehaviour never applied";
    case "not-judged":
      return `not judged (${v.outcome})`;
  }
}
