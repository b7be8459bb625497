// Conformance cells: the reference peer misbehaves on purpose and the library under test must
// answer with the right alert. The verdict reads the result's outcome, its reason and the alert
// that was observed, and names the library and the role it played.

import type { ImplId, Role } from "../peers/types.ts";
import type { Report, Result } from "../report/schema.ts";

export const CONFORMANCE_SUITE = "conformance";

export type Verdict =
  | { kind: "correct-alert"; alert: string }
  | { kind: "wrong-alert"; alert: string; expected: string }
  | { kind: "closed-without-alert" }
  | { kind: "accepted" }
  | { kind: "alert-unreadable" }
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

/** The role of the library under test: the side expected to detect, else the non-reference side. */
function roleUnderTest(r: Result): Role {
  if (r.expected.kind === "alert") return r.expected.by;
  return r.client === "ts" && r.server !== "ts" ? "server" : "client";
}

export function verdict(r: Result): Verdict {
  if (r.outcome !== "pass" && r.outcome !== "fail") {
    return { kind: "not-judged", outcome: r.outcome };
  }
  const alert = r.observed?.alert?.name ?? null;
  if (alert === "unreadable" || /unreadable/i.test(r.reason)) return { kind: "alert-unreadable" };
  const expected = r.expected.kind === "alert" ? r.expected.alert : null;
  if (alert !== null) {
    return expected === null || alert === expected || r.outcome === "pass"
      ? { kind: "correct-alert", alert }
      : { kind: "wrong-alert", alert, expected };
  }
  // No alert seen: either the handshake went through (the misbehaviour was accepted) or the
  // library hung up without saying why.
  const completed = r.observed?.group != null || r.observed?.client?.ok === true ||
    r.observed?.server?.ok === true;
  return completed ? { kind: "accepted" } : { kind: "closed-without-alert" };
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
      return `correct alert (${v.alert})`;
    case "wrong-alert":
      return `wrong alert: ${v.alert} (expected ${v.expected})`;
    case "closed-without-alert":
      return "closed without alert";
    case "accepted":
      return "accepted the bad input";
    case "alert-unreadable":
      return "alert unreadable";
    case "not-judged":
      return `not judged (${v.outcome})`;
  }
}
