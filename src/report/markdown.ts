// Markdown for GitHub's step summary ($GITHUB_STEP_SUMMARY): totals, regressions, the matrix
// per suite, and every cell that did not pass or was unsupported, with its one-sentence reason.

import { LEGEND, matrixTables, renderMarkdown } from "./matrix.ts";
import { cellId, OUTCOMES, type Report } from "./schema.ts";

export function toMarkdown(report: Report): string {
  const out: string[] = [`## pqinterop run \`${report.id}\``, ""];
  const state = report.complete ? "complete" : `incomplete (${report.interrupted ?? "running"})`;
  const wall = report.timing.wallMs === null
    ? ""
    : `, ${(report.timing.wallMs / 1000).toFixed(1)} s`;
  out.push(
    `${report.results.length} cells, ${state}${wall}${report.timing.cold ? " (cold)" : ""}.`,
  );
  out.push("", OUTCOMES.map((o) => `${o}: **${report.totals[o]}**`).join(" · "), "");
  if (report.regressions.length) {
    out.push(`### ❌ ${report.regressions.length} regression(s)`, "");
    for (const id of report.regressions) {
      const r = report.results.find((x) => cellId(x) === id);
      out.push(`- \`${id}\`: ${r ? `${r.outcome} — ${r.reason}` : "did not run"}`);
    }
    out.push("");
  }
  out.push("### Matrix", "", LEGEND, "");
  for (const t of matrixTables(report)) out.push(renderMarkdown(t), "");
  const notable = report.results.filter((r) => r.outcome !== "pass" && r.outcome !== "unsupported");
  if (notable.length) {
    out.push("### Cells that did not pass", "", "| cell | outcome | reason |", "|---|---|---|");
    for (const r of notable) {
      out.push(`| \`${cellId(r)}\` | ${r.outcome} | ${r.reason.replaceAll("|", "\\|")} |`);
    }
    out.push("");
  }
  const impls = Object.values(report.implementations);
  if (impls.length) {
    out.push("### Implementations", "", "| id | version | image |", "|---|---|---|");
    for (const p of impls) {
      out.push(
        `| ${p!.id} | ${p!.version} | ${p!.image ? `\`${p!.image.id.slice(0, 19)}\`` : "host"} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
