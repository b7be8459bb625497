// One pair of a run. The pair page has its counts per suite and the cells that did not pass; the
// pair-in-a-suite page lists that suite's cells for the pair, each linked to its evidence. A pair
// has at most one cell per case, so neither page grows with the number of implementations.

import type { Provenance } from "../../contract/provenance.ts";
import type { Report, Result } from "../../report/schema.ts";
import { CONFORMANCE_SUITE, verdict, verdictText } from "../conformance.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { CellLink, Counts, Mark, ProvenanceTable, RunStatus } from "../parts.tsx";
import { indexOf, pairKey, suitePairKey } from "../runindex.ts";
import { grade } from "../tally.ts";

interface PairProps {
  here: Here;
  report: Report;
  client: string;
  server: string;
}

export function PairPage({ here, report, client, server }: PairProps) {
  const ix = indexOf(report);
  const pair = pairKey(client, server);
  const t = ix.byPair.get(pair)!;
  const results = report.results.filter((r) => r.client === client && r.server === server);
  const notPassed = results.filter((r) => r.outcome !== "pass" && r.outcome !== "unsupported");
  return (
    <Layout here={here} title={`${client} → ${server} · run ${report.id}`} page="pair">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> › {client} → {server}
      </nav>
      <h1>
        {client} (client) → {server} (server)
      </h1>
      <RunStatus report={report} />
      <p class="lead">
        {t.total} cells: <Counts t={t} />.
      </p>
      <table>
        <caption>This pair per suite (each suite links to its cells)</caption>
        <thead>
          <tr>
            <th scope="col">suite</th>
            <th scope="col">outcomes</th>
          </tr>
        </thead>
        <tbody>
          {ix.suites.map((suite) => {
            const st = ix.bySuitePair.get(suitePairKey(suite, pair));
            if (!st) return null;
            return (
              <tr>
                <th scope="row">
                  <a href={to(here, paths.pairSuite(report.id, pair, suite))}>{suite}</a>
                </th>
                <td class={`g-${grade(st)}`}>
                  <Counts t={st} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2 id="not-passed">Cells that did not pass</h2>
      {notPassed.length === 0
        ? <p>Every cell of this pair that ran passed.</p>
        : <CellTable here={here} report={report} results={notPassed} caption="Not passed" />}
      <ProvenanceTable
        here={here}
        impls={pick(report, [client, server])}
        caption="The two implementations"
      />
    </Layout>
  );
}

export function PairSuitePage({ here, report, client, server, suite }: PairProps & {
  suite: string;
}) {
  const pair = pairKey(client, server);
  const results = indexOf(report).cells.get(suitePairKey(suite, pair)) ?? [];
  return (
    <Layout here={here} title={`${suite}: ${client} → ${server} · run ${report.id}`} page="cells">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> ›{" "}
        <a href={to(here, paths.suite(report.id, suite))}>{suite}</a> ›{" "}
        <a href={to(here, paths.pair(report.id, pair))}>{client} → {server}</a>
      </nav>
      <h1>
        {suite}: {client} (client) → {server} (server)
      </h1>
      <RunStatus report={report} />
      <CellTable
        here={here}
        report={report}
        results={results}
        caption={`${results.length} cells, one per case`}
      />
    </Layout>
  );
}

/** One row per cell: the case, its outcome and what it reached, and why. */
function CellTable(
  { here, report, results, caption }: {
    here: Here;
    report: Report;
    results: Result[];
    caption: string;
  },
) {
  return (
    <table class="cells">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">case</th>
          <th scope="col">outcome</th>
          <th scope="col">group</th>
          <th scope="col">why</th>
        </tr>
      </thead>
      <tbody>
        {results.map((r) => (
          <tr data-outcome={r.outcome}>
            <th scope="row">
              {/* Unsupported cells ran nothing: their row says all there is. */}
              {r.outcome === "unsupported"
                ? report.cases[r.case]?.title ?? r.case
                : (
                  <CellLink here={here} report={report} r={r}>
                    {report.cases[r.case]?.title ?? r.case}
                  </CellLink>
                )}
            </th>
            <td class={`o-${r.outcome}`}>
              <Mark outcome={r.outcome} />
            </td>
            <td>{r.observed?.group ?? "—"}</td>
            <td>
              {r.suite === CONFORMANCE_SUITE && r.conformance
                ? verdictText(verdict(report, r))
                : r.reason}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const pick = (report: Report, ids: string[]) =>
  Object.fromEntries(
    ids.map((id) => [id, (report.implementations as Partial<Record<string, Provenance>>)[id]]),
  );
