// The matrix view of a report: per suite, client rows × server columns, one outcome symbol per
// case. Cases whose expectation does not fix the group (the out-of-the-box ones) get their own
// table with the group each pair reached, since that group is the finding. The terminal summary
// and the Markdown step summary both render from here.

import type { Outcome, Report, Result } from "./schema.ts";

export const SYMBOLS: Record<Outcome, string> = {
  pass: "✓",
  fail: "✗",
  unverified: "?",
  unsupported: "·",
  error: "E",
  timeout: "T",
  flaky: "~",
};

export const LEGEND = Object.entries(SYMBOLS).map(([o, s]) => `${s} ${o}`).join("  ");

export interface MatrixTable {
  title: string;
  /** Case ids in column-symbol order (one symbol per case in every cell). */
  cases: string[];
  clients: string[];
  servers: string[];
  /** cells[client][server] = the text for that pair. */
  cells: Record<string, Record<string, string>>;
}

/** The cases whose expectation does not fix the group: the group each pair reached is the finding. */
const groupIsTheFinding = (report: Report) => (r: Result): boolean => {
  const expected = report.cases[r.case]?.expected;
  return expected?.kind === "handshake" && expected.group === undefined;
};

/** One table per suite, plus one per "what group did they reach" case. */
export function matrixTables(report: Report): MatrixTable[] {
  const tables: MatrixTable[] = [];
  // Implementations in plan order: the order they first appear in the results.
  const order = unique(report.results.flatMap((r) => [r.client, r.server]));
  const table = tableIn(order);
  const suites = [...new Set(report.results.map((r) => r.suite))];
  for (const suite of suites) {
    const results = report.results.filter((r) => r.suite === suite);
    tables.push(table(suite, results, (rs) => rs.map((r) => SYMBOLS[r.outcome]).join("")));
    for (const caseId of unique(results.filter(groupIsTheFinding(report)).map((r) => r.case))) {
      const rs = results.filter((r) => r.case === caseId);
      tables.push(table(caseId, rs, ([r]) => {
        const group = r.observed?.group;
        return group && (r.outcome === "pass" || r.outcome === "flaky")
          ? `${SYMBOLS[r.outcome]} ${group}`
          : SYMBOLS[r.outcome];
      }));
    }
  }
  return tables;
}

const tableIn =
  (order: string[]) =>
  (title: string, results: Result[], text: (rs: Result[]) => string): MatrixTable => {
    const byOrder = (ids: string[]) => ids.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const cases = unique(results.map((r) => r.case));
    const clients = byOrder(unique(results.map((r) => r.client)));
    const servers = byOrder(unique(results.map((r) => r.server)));
    const cells: MatrixTable["cells"] = {};
    for (const c of clients) {
      cells[c] = {};
      for (const s of servers) {
        const rs = results.filter((r) => r.client === c && r.server === s);
        rs.sort((a, b) => cases.indexOf(a.case) - cases.indexOf(b.case));
        cells[c][s] = rs.length ? text(rs) : "";
      }
    }
    return { title, cases, clients, servers, cells };
  };

/** Plain text, columns padded: for the terminal. */
export function renderText(t: MatrixTable): string {
  const head = "client\\server";
  const widths = [
    Math.max(head.length, ...t.clients.map((c) => c.length)),
    ...t.servers.map((s) => Math.max(s.length, ...t.clients.map((c) => width(t.cells[c][s])))),
  ];
  const row = (cols: string[]) => cols.map((c, i) => pad(c, widths[i])).join("  ").trimEnd();
  const lines = [
    t.cases.length > 1 ? `${t.title}: ${t.cases.map((c) => c.split("/")[1]).join(", ")}` : t.title,
    row([head, ...t.servers]),
    ...t.clients.map((c) => row([c, ...t.servers.map((s) => t.cells[c][s])])),
  ];
  return lines.join("\n");
}

/** A GitHub-flavoured Markdown table. */
export function renderMarkdown(t: MatrixTable): string {
  const lines = [
    t.cases.length > 1
      ? `**${t.title}** — one symbol per case: ${t.cases.map((c) => `\`${c}\``).join(", ")}`
      : `**${t.title}**`,
    "",
    `| client \\ server | ${t.servers.join(" | ")} |`,
    `|---|${t.servers.map(() => "---").join("|")}|`,
    ...t.clients.map((c) => `| ${c} | ${t.servers.map((s) => t.cells[c][s]).join(" | ")} |`),
  ];
  return lines.join("\n");
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];
// Every symbol is one column wide; counting code points keeps the padding right.
const width = (s: string): number => [...s].length;
const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - width(s)));
