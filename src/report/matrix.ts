// The matrix view of a report: per suite, client rows × server columns, one outcome symbol per
// case. Cases whose expectation does not fix the group (the out-of-the-box ones) get their own
// table with the group each pair reached, since that group is the finding. The terminal summary
// (folded to 100 columns) and the Markdown step summary (the full matrix) both render from here.

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

/** The terminal's width budget: every line of the summary fits in it. */
export const TEXT_WIDTH = 100;

/**
 * Plain text, columns padded: for the terminal, no line wider than `width`. A table that fits
 * shows one symbol per case; a wider one shows each pair's counts instead ("84✓ 3✗"), and when
 * even that is too wide its servers are folded into several blocks. The Markdown summary and the
 * JSON report keep the full matrix.
 */
export function renderText(t: MatrixTable, width = TEXT_WIDTH): string {
  const full = grid(t, t.servers);
  const perCase = t.cases.length > 1;
  if (full.every((l) => textWidth(l) <= width)) {
    const title = perCase
      ? wrap(`${t.title}: ${t.cases.map((c) => c.split("/")[1]).join(", ")}`, width)
      : [t.title];
    return [...title, ...full].join("\n");
  }
  // Too wide: whichever form of the cells is narrower (a symbol per case, or counts), folded.
  const counted = { ...t, cells: mapCells(t, countsText) };
  const widest = (x: MatrixTable) =>
    Math.max(0, ...x.clients.flatMap((c) => x.servers.map((s) => textWidth(x.cells[c][s]))));
  const useCounts = perCase && widest(counted) < widest(t);
  const title = !perCase ? [t.title] : useCounts
    ? wrap(
      `${t.title}: ${t.cases.length} cases, counts per pair (the Markdown summary and the JSON ` +
        `report have one symbol per case)`,
      width,
    )
    : wrap(`${t.title}: ${t.cases.map((c) => c.split("/")[1]).join(", ")}`, width);
  return [...title, ...fold(useCounts ? counted : t, width)].join("\n");
}

/** "✓✓✗✓·" → "3✓ 1✗ 1·": how many cases of each outcome a pair had. */
export function countsText(symbols: string): string {
  const chars = [...symbols];
  return Object.values(SYMBOLS)
    .map((sym) => [sym, chars.filter((c) => c === sym).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sym, n]) => `${n}${sym}`)
    .join(" ");
}

const mapCells = (t: MatrixTable, f: (s: string) => string): MatrixTable["cells"] =>
  Object.fromEntries(
    t.clients.map((c) => [c, Object.fromEntries(t.servers.map((s) => [s, f(t.cells[c][s])]))]),
  );

/** The header and one line per client, for some of the servers. */
function grid(t: MatrixTable, servers: string[]): string[] {
  const head = "client\\server";
  const widths = [
    Math.max(head.length, ...t.clients.map((c) => c.length)),
    ...servers.map((s) => Math.max(s.length, ...t.clients.map((c) => textWidth(t.cells[c][s])))),
  ];
  const row = (cols: string[]) => cols.map((c, i) => pad(c, widths[i])).join("  ").trimEnd();
  return [
    row([head, ...servers]),
    ...t.clients.map((c) => row([c, ...servers.map((s) => t.cells[c][s])])),
  ];
}

/** As many servers per block as fit in the width (at least one), blocks one after another. */
function fold(t: MatrixTable, width: number): string[] {
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const s of t.servers) {
    const tried = grid(t, [...block, s]);
    if (block.length > 0 && tried.some((l) => textWidth(l) > width)) {
      blocks.push(block);
      block = [s];
    } else block.push(s);
  }
  if (block.length) blocks.push(block);
  return blocks.flatMap((servers, i) => [...(i > 0 ? [""] : []), ...grid(t, servers)]);
}

/** Words (split at spaces) into lines of at most `width`, continuation lines indented. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && textWidth(line) + 1 + textWidth(word) > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
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
const textWidth = (s: string): number => [...s].length;
const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - textWidth(s)));
