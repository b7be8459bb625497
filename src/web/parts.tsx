// Small pieces several pages share: an outcome mark, counts, the pair grid, links into a run that
// the static export may leave out, the run's state, notices about unreadable files, provenance.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { Provenance } from "../contract/provenance.ts";
import type { Child } from "hono/jsx";
import type { FolderProblem } from "../report/read.ts";
import { type Outcome, OUTCOMES, type Report, type Result } from "../report/schema.ts";
import { cellSlug, OUTCOME_LABEL } from "./cells.ts";
import { libraryOf, versionedLibraries, versionLabel } from "./impls.ts";
import { hasCellPage, type Here, paths, to } from "./links.ts";
import { pairKey } from "./runindex.ts";
import { grade, GRADE_TEXT, type Tally } from "./tally.ts";

export function Mark({ outcome }: { outcome: Outcome }) {
  const l = OUTCOME_LABEL[outcome] ?? { symbol: "?", word: outcome };
  return (
    <>
      <span class="sym" aria-hidden="true">{l.symbol}</span>
      <span class="word">{l.word}</span>
    </>
  );
}

/** "287✓ 26✗ 12–": the outcomes that occurred; the words are there for screen readers. */
export function Counts({ t }: { t: Tally }) {
  const shown = OUTCOMES.filter((o) => t[o] > 0 || (o === "pass" && t.total > t.unsupported));
  return (
    <>
      {shown.map((o, i) => (
        <>
          {i > 0 && " "}
          {t[o]}
          <span aria-hidden="true">{OUTCOME_LABEL[o].symbol}</span>
          <span class="vh">{` ${OUTCOME_LABEL[o].word}${i < shown.length - 1 ? "," : ""}`}</span>
        </>
      ))}
    </>
  );
}

/** A link, or its text alone where the static export left that run's details out. */
export function RunLink(
  { here, runId, href, title, children }: {
    here: Here;
    runId: string;
    href: string;
    title?: string;
    children?: Child;
  },
) {
  return here.detailed(runId)
    ? <a href={to(here, href)} title={title}>{children}</a>
    : <span title={title}>{children}</span>;
}

export function CellLink(
  { here, report, r, title, children }: {
    here: Here;
    report: Report;
    r: Result;
    title?: string;
    children?: Child;
  },
) {
  return hasCellPage(here, report.id, r.outcome)
    ? <a href={to(here, paths.cell(report.id, cellSlug(r)))} title={title}>{children}</a>
    : <span title={title}>{children}</span>;
}

/**
 * Clients in rows, servers in columns, one tally per pair with its colour. When a library runs in
 * more than one version, a header row groups its columns so the releases sit side by side.
 */
export function PairGrid(
  { here, report, clients, servers, tally, href, caption }: {
    here: Here;
    report: Report;
    clients: string[];
    servers: string[];
    tally: (client: string, server: string) => Tally | undefined;
    href: (pair: string) => string;
    caption: Child;
  },
) {
  const grouped = versionedLibraries(servers).size > 0;
  const libraries = [...new Set(servers.map(libraryOf))];
  const reported = (id: string) =>
    (report.implementations as Partial<Record<string, Provenance>>)[id]?.version;
  // A grid wider than the window scrolls on its own, reachable by keyboard.
  return (
    <div class="scroll" tabindex={0} role="region" aria-label="pair grid">
      <table class="grid">
        <caption>{caption}</caption>
        <thead>
          {grouped && (
            <tr>
              <td></td>
              {libraries.map((lib) => {
                const n = servers.filter((s) => libraryOf(s) === lib).length;
                return <th scope="colgroup" colspan={n}>{lib}</th>;
              })}
            </tr>
          )}
          <tr>
            <th scope="col">client ↓ server →</th>
            {servers.map((s) => <th scope="col">{grouped ? versionLabel(s, reported(s)) : s}</th>)}
          </tr>
        </thead>
        <tbody>
          {clients.map((c) => (
            <tr>
              <th scope="row">{c}</th>
              {servers.map((s) => {
                const t = tally(c, s);
                if (!t || t.total === 0) return <td class="g-empty">—</td>;
                const g = grade(t);
                return (
                  <td class={`g-${g}`}>
                    <RunLink
                      here={here}
                      runId={report.id}
                      href={href(pairKey(c, s))}
                      title={`${c} → ${s}: ${GRADE_TEXT[g]}`}
                    >
                      <Counts t={t} />
                    </RunLink>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The colours of the grids, said in words. */
export function GradeLegend() {
  const grades = ["all", "most", "some", "none", "unsupported"] as const;
  return (
    <p class="legend">
      {grades.map((g) => <span class={`g-${g}`}>{GRADE_TEXT[g]}</span>)}
      <span>
        {OUTCOMES.map((o) => `${OUTCOME_LABEL[o].symbol} ${o}`).join(" · ")}
      </span>
    </p>
  );
}

export const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? "n/a" : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

export const seconds = (v: number | null | undefined): string =>
  v === null || v === undefined ? "n/a" : `${(v / 1000).toFixed(1)} s`;

export function RunStatus({ report }: { report: Report }) {
  if (report.complete) return null;
  return (
    <p class="banner" role="status">
      {report.interrupted
        ? `This run did not finish: ${report.interrupted}. The results below are partial.`
        : "This run has not finished yet: the results below are partial."}
    </p>
  );
}

/** Files in the reports folder that could not be read: each named once, with why. */
export function Problems({ problems }: { problems: FolderProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <section class="banner" aria-labelledby="problems">
      <h2 id="problems">
        {problems.length === 1
          ? "One file in the reports folder is not shown"
          : `${problems.length} files in the reports folder are not shown`}
      </h2>
      <ul>
        {problems.map((p) => (
          <li>
            <code>{p.file}</code>: {p.why}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ProvenanceTable(
  { here, impls, caption, full = false }: {
    here: Here;
    impls: Partial<Record<string, Provenance>>;
    caption: string;
    /** Build flags and packages too (long): on the pages about one implementation or cell. */
    full?: boolean;
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
          {full && <th scope="col">build</th>}
          <th scope="col">image</th>
          {full && <th scope="col">packages</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr>
            <th scope="row">
              <a href={to(here, paths.impl(p.id))}>{p.id}</a>
            </th>
            <td>{p.version}</td>
            {full && (
              <td>
                <code>{p.build}</code>
              </td>
            )}
            <td>
              {p.image ? <code>{p.image.tag}</code> : "host (no image)"}
            </td>
            {full && (
              <td>
                {Object.entries(p.packages).map(([k, v]) => `${k} ${v}`).join(", ") || "—"}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
