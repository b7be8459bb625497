// Conformance cells: the reference peer misbehaves on purpose and the library under test must
// answer with the right alert. The runner records what happened (Result.conformance); this module
// groups those findings into one table per library and role.

import type { ImplId } from "../peers/implementation.ts";
import type { Role } from "../tls/names.ts";
import type { Classification, Report, Result } from "../report/schema.ts";

export const CONFORMANCE_SUITE = "conformance";

/** The runner's finding, or why there is none (the cell errored, timed out or was unsupported). */
export type Verdict =
  | { kind: Classification; alert: string | null; expected: string | null }
  | { kind: "not-judged"; outcome: string };

export interface ConformanceRow {
  result: Result;
  verdict: Verdict;
}

export interface ConformanceTable {
  impl: ImplId;
  role: Role;
  rows: ConformanceRow[];
}

/** The role of the library under test, as the runner recorded it. */
function roleUnderTest(r: Result): Role {
  if (r.conformance) return r.conformance.roleUnderTest;
  if (r.expected.kind === "alert") return r.expected.by;
  return r.client === "ts" && r.server !== "ts" ? "server" : "client";
}

export function verdict(r: Result): Verdict {
  if (!r.conformance) return { kind: "not-judged", outcome: r.outcome };
  const expected = r.expected.kind === "alert" ? r.expected.alert : null;
  return { kind: r.conformance.classification, alert: r.conformance.alert, expected };
}

export function conformanceTables(report: Report): ConformanceTable[] {
  const tables = new Map<string, ConformanceTable>();
  for (const result of report.results) {
    if (result.suite !== CONFORMANCE_SUITE) continue;
    const role = roleUnderTest(result);
    const impl = role === "client" ? result.client : result.server;
    const key = `${impl}:${role}`;
    if (!tables.has(key)) tables.set(key, { impl, role, rows: [] });
    tables.get(key)!.rows.push({ result, verdict: verdict(result) });
  }
  return [...tables.values()].sort((a, b) =>
    a.impl.localeCompare(b.impl) || a.role.localeCompare(b.role)
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
      return "tolerated, as the spec requires";
    case "not-applied":
      return "the misbehaviour never applied";
    case "not-judged":
      return `not judged (${v.outcome})`;
  }
}
