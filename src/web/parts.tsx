// Small pieces several pages share: an outcome mark, the totals of a run, the provenance table.

import type { Provenance } from "../contract/provenance.ts";
import type { Child } from "hono/jsx";
import { type Outcome, OUTCOMES, type Report, type Result } from "../report/schema.ts";
import { cellSlug, OUTCOME_LABEL } from "./cells.ts";
import { type Here, paths, to } from "./links.ts";

export function Mark({ outcome }: { outcome: Outcome }) {
  const l = OUTCOME_LABEL[outcome] ?? { symbol: "?", word: outcome };
  return (
    <>
      <span class="sym" aria-hidden="true">{l.symbol}</span>
      <span class="word">{l.word}</span>
    </>
  );
}

/** A link to a cell's page, or plain text where the export left that run's cells out. */
export function CellLink(
  { here, report, r, title, children }: {
    here: Here;
    report: Report;
    r: Result;
    title?: string;
    children?: Child;
  },
) {
  return here.detailed(report.id)
    ? <a href={to(here, paths.cell(report.id, cellSlug(r)))} title={title}>{children}</a>
    : <span title={title}>{children}</span>;
}

export const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? "n/a" : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** Totals as stored, falling back to counting (an interrupted run may not have them). */
export function totalsOf(report: Report): Record<Outcome, number> {
  if (report.totals) return report.totals;
  const t = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of report.results) t[r.outcome]++;
  return t;
}

export function RunStatus({ report }: { report: Report }) {
  if (report.complete) return null;
  return (
    <p class="banner" role="status">
      {report.interrupted
        ? `This run was interrupted: ${report.interrupted}. The results below are partial.`
        : "This run has not finished yet: the results below are partial."}
    </p>
  );
}

export function ProvenanceTable(
  { here, impls, caption }: {
    here: Here;
    impls: Partial<Record<string, Provenance>>;
    caption: string;
  },
) {
  const rows = Object.values(impls).filter((p): p is Provenance => !!p);
  if (rows.length === 0) return <p>No implementation versions were recorded.</p>;
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">implementation</th>
          <th scope="col">version</th>
          <th scope="col">build</th>
          <th scope="col">image</th>
          <th scope="col">packages</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr>
            <th scope="row">
              <a href={to(here, paths.impl(p.id))}>{p.name}</a> ({p.id})
            </th>
            <td>{p.version}</td>
            <td>
              <code>{p.build}</code>
            </td>
            <td>
              {p.image
                ? (
                  <>
                    <code>{p.image.tag}</code> <code class="hex">{p.image.id.slice(0, 19)}</code>
                  </>
                )
                : "host (no image)"}
            </td>
            <td>
              {Object.entries(p.packages).map(([k, v]) => `${k} ${v}`).join(", ") || "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
