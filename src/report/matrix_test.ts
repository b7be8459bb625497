// The terminal matrix fits 100 columns whatever the run: a table that fits is one symbol per case,
// a wider one counts per pair or folds its servers, and nothing is lost on the way. The Markdown
// keeps the full matrix.

import assert from "node:assert/strict";
import { countsText, matrixTables, renderMarkdown, renderText, SYMBOLS } from "./matrix.ts";
import { readRun } from "./read.ts";
import { writeFullRuns } from "../testing/fullrun.ts";
import { fixtureReports } from "../testing/web.ts";

const width = (line: string) => [...line].length;

/** Every pair's outcomes as the text shows them: symbols counted, or counts read back. */
function tally(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (sym: string, n: number) => out.set(sym, (out.get(sym) ?? 0) + n);
  for (const m of text.matchAll(/(\d+)([^\d\s])/g)) add(m[2], Number(m[1]));
  for (const sym of Object.values(SYMBOLS)) {
    // Symbols standing alone (not after a count) are one case each.
    const alone = [...text.replace(/\d+[^\d\s]/g, "")].filter((c) => c === sym).length;
    add(sym, alone);
  }
  return out;
}

Deno.test("countsText counts each outcome symbol", () => {
  assert.equal(countsText("✓✓✗✓·"), "3✓ 1✗ 1·");
  assert.equal(countsText("TT~"), "2T 1~");
  assert.equal(countsText(""), "");
});

Deno.test("a small table is one symbol per case, as before", () => {
  const t = {
    title: "classic",
    cases: ["classic/x25519"],
    clients: ["ts"],
    servers: ["ts", "openssl"],
    cells: { ts: { ts: "✓", openssl: "T" } },
  };
  assert.equal(renderText(t), "classic\nclient\\server  ts  openssl\nts             ✓   T");
});

Deno.test("every line fits 100 columns and every case is still counted, up to 11 implementations", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-full-" });
  try {
    const [full] = await writeFullRuns(dir, { impls: 11, evidence: false });
    const reports = [...await fixtureReports(), (await readRun(full)).report];
    for (const report of reports) {
      for (const t of matrixTables(report)) {
        const text = renderText(t);
        for (const line of text.split("\n")) {
          assert.ok(width(line) <= 100, `${t.title}: ${width(line)} columns: ${line}`);
        }
        // Per-case tables: the outcomes in the text add up to those of the table's cells.
        if (t.cases.length > 1) {
          const cells = t.clients.flatMap((c) => t.servers.map((s) => t.cells[c][s])).join("");
          const body = text.split("\n").filter((l) =>
            !l.startsWith("client\\server") && !/^\S+:|^ {2}/.test(l)
          );
          const shown = tally(body.map((l) => l.split(/\s{2,}/).slice(1).join(" ")).join(" "));
          for (const sym of Object.values(SYMBOLS)) {
            const n = [...cells].filter((c) => c === sym).length;
            assert.equal(shown.get(sym) ?? 0, n, `${report.id} ${t.title} ${sym}`);
          }
        }
        // The Markdown keeps one symbol per case.
        if (t.cases.length > 1) {
          const md = renderMarkdown(t);
          for (const c of t.clients) {
            for (const s of t.servers) assert.ok(md.includes(t.cells[c][s]));
          }
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
