// One suite of a run: the pair grid for that suite alone, and one row per case with its counts
// and what the cells reached (the groups negotiated, or for conformance the verdicts). A pair in the
// grid links to that pair's cells of this suite.

import type { Report, Result } from "../../report/schema.ts";
import { CONFORMANCE_SUITE, verdict, VERDICT_HEADING } from "../conformance.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { Counts, GradeLegend, PairGrid, RunStatus } from "../parts.tsx";
import { indexOf, pairKey, suitePairKey } from "../runindex.ts";
import { grade, tallyOf } from "../tally.ts";

export function SuitePage({ here, report, suite }: { here: Here; report: Report; suite: string }) {
  const ix = indexOf(report);
  const t = ix.bySuite.get(suite)!;
  const results = report.results.filter((r) => r.suite === suite);
  const byCase = new Map<string, Result[]>();
  for (const r of results) {
    if (!byCase.has(r.case)) byCase.set(r.case, []);
    byCase.get(r.case)!.push(r);
  }
  const inSuite = (ids: string[], pick: (r: Result) => string) => {
    const present = new Set(results.map(pick));
    return ids.filter((id) => present.has(id));
  };
  return (
    <Layout here={here} title={`${suite} · run ${report.id}`} page="suite">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> › {suite}
      </nav>
      <h1>Suite {suite}</h1>
      <RunStatus report={report} />
      <p class="lead">
        {byCase.size} cases, {t.total} cells: <Counts t={t} />.
      </p>
      <PairGrid
        here={here}
        report={report}
        clients={inSuite(ix.clients, (r) => r.client)}
        servers={inSuite(ix.servers, (r) => r.server)}
        tally={(c, s) => ix.bySuitePair.get(suitePairKey(suite, pairKey(c, s)))}
        href={(pair) => paths.pairSuite(report.id, pair, suite)}
        caption={`${suite}: cells per pair and outcome, client in rows, server in columns`}
      />
      <GradeLegend />
      <h2 id="cases">Cases</h2>
      <table class="cases">
        <caption>Each case over every pair</caption>
        <thead>
          <tr>
            <th scope="col">case</th>
            <th scope="col">outcomes</th>
            <th scope="col">{suite === CONFORMANCE_SUITE ? "verdicts" : "groups reached"}</th>
          </tr>
        </thead>
        <tbody>
          {[...byCase].map(([id, rs]) => {
            const ct = tallyOf(rs);
            return (
              <tr>
                <th scope="row">
                  {report.cases[id]?.title ?? id} <code>{id.split("/")[1] ?? id}</code>
                </th>
                <td class={`g-${grade(ct)}`}>
                  <Counts t={ct} />
                </td>
                <td>{reached(report, rs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Layout>
  );
}

/** "X25519MLKEM768 ×20, x25519 ×5", or the verdicts for conformance cells. */
function reached(report: Report, rs: Result[]): string {
  const counts = new Map<string, number>();
  for (const r of rs) {
    const key = r.suite === CONFORMANCE_SUITE
      ? (r.outcome === "unsupported" ? null : VERDICT_HEADING[verdict(report, r).kind])
      : r.outcome === "pass" || r.outcome === "flaky"
      ? r.observed?.group ?? "no group"
      : null;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(", ") || "—";
}
