// A run at a glance (`/` for the newest, `/runs/<id>/` for any): which pairs work (one grid of
// counts), how each suite did, which library answers bad input wrongly, what post-quantum costs on
// the wire, and what changed since the run before. Every number links one level down (suite,
// pair); no list of cells is on this page, so it weighs the same whatever the size of the run.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { FolderProblem } from "../../report/read.ts";
import { OUTCOMES, type Report } from "../../report/schema.ts";
import { CHART_SUITES, type GroupCost, groupCosts } from "../chart.tsx";
import {
  BAD_VERDICTS,
  CONFORMANCE_SUITE,
  VERDICT_HEADING,
  VERDICT_KINDS,
  type VerdictRow,
  verdictRows,
} from "../conformance.ts";
import { diffRuns } from "../diff.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { findCell } from "../cells.ts";
import {
  CellLink,
  Counts,
  GradeLegend,
  ms,
  PairGrid,
  Problems,
  ProvenanceTable,
  RunLink,
  RunStatus,
  seconds,
} from "../parts.tsx";
import { releaseSteps } from "../releases.ts";
import { indexOf, pairKey, suitePairKey } from "../runindex.ts";
import { grade, type Tally } from "../tally.ts";
import { ChangeList } from "./diff.tsx";

export interface SummaryProps {
  here: Here;
  report: Report;
  /** The run before this one, for "what changed". */
  previous: Report | null;
  /** `/`: the newest run, with the folder's problems. */
  latest: boolean;
  problems: FolderProblem[];
}

/** How many changes the summary names before it sends the reader to the diff page. */
export const CHANGES_SHOWN = 10;

export function SummaryPage({ here, report, previous, latest, problems }: SummaryProps) {
  const ix = indexOf(report);
  const t = ix.total;
  return (
    <Layout here={here} title={latest ? "Latest run" : `Run ${report.id}`} page="summary">
      <h1>
        {latest ? "Latest run: " : "Run "}
        <code>{report.id}</code>
      </h1>
      <RunStatus report={report} />
      {latest && <Problems problems={problems} />}
      <p class="lead">
        {t.total} cells: {ix.impls.length} implementations against each other in {ix.suites.length}
        {" "}
        suites. <strong>{t.pass} passed</strong>,{" "}
        <strong>{t.total - t.pass - t.unsupported} did not</strong>{" "}
        ({OUTCOMES.filter((o) => o !== "pass" && o !== "unsupported" && t[o] > 0)
          .map((o) => `${t[o]} ${o}`).join(", ") || "none"}), and {t.unsupported}{" "}
        could not run because one side cannot express the case. {report.regressions.length === 0
          ? "No regressions against the committed expectations."
          : (
            <strong class="bad">
              {report.regressions.length} regressions against the committed expectations.
            </strong>
          )}
      </p>

      <Regressions here={here} report={report} />

      <h2 id="pairs">Which pairs work</h2>
      <Pairs here={here} report={report} />
      <h2 id="suites">Suites</h2>
      <SuiteTable here={here} report={report} />
      <Conformance here={here} report={report} rows={verdictRows(report)} />
      <Releases here={here} report={report} />
      <Costs here={here} report={report} costs={groupCosts(report)} />
      <Changes here={here} report={report} previous={previous} />

      <h2 id="run">About this run</h2>
      <RunFacts here={here} report={report} />
      <ProvenanceTable
        here={here}
        impls={report.implementations}
        caption="Implementations and the versions that ran"
      />
    </Layout>
  );
}

/** The cells that must pass and did not: the first few, each linked. */
function Regressions({ here, report }: { here: Here; report: Report }) {
  if (report.regressions.length === 0) return null;
  const shown = report.regressions.slice(0, CHANGES_SHOWN);
  return (
    <ul class="regressions" aria-label="Regressions">
      {shown.map((id) => {
        const r = findCell(report, id);
        return (
          <li>
            {r
              ? (
                <CellLink here={here} report={report} r={r}>
                  <code>{id}</code>
                </CellLink>
              )
              : <code>{id}</code>}: {r ? `${r.outcome}, ${r.reason}` : "did not run"}
          </li>
        );
      })}
      {report.regressions.length > shown.length && (
        <li>and {report.regressions.length - shown.length} more (see the suites)</li>
      )}
    </ul>
  );
}

function Pairs({ here, report }: { here: Here; report: Report }) {
  const ix = indexOf(report);
  const interop = ix.suites.filter((s) => s !== CONFORMANCE_SUITE);
  return (
    <>
      <p>
        One square per client and server: its cells in the interop suites ({interop.join(", ")}).
        The counts link to the pair. Conformance cells, where the reference peer misbehaves on
        purpose, say something about one library, not the pair: they are counted below.
      </p>
      <PairGrid
        here={here}
        report={report}
        clients={ix.clients}
        servers={ix.servers}
        caption="Interop cells per pair and outcome, client in rows, server in columns"
        tally={(c, s) => ix.interopByPair.get(pairKey(c, s))}
        href={(pair) => paths.pair(report.id, pair)}
      />
      <GradeLegend />
    </>
  );
}

export function SuiteTable({ here, report }: { here: Here; report: Report }) {
  const ix = indexOf(report);
  return (
    <table class="suites">
      <caption>Outcomes per suite (each row links to the suite's own grid)</caption>
      <thead>
        <tr>
          <th scope="col">suite</th>
          <th scope="col">cases</th>
          <th scope="col">cells</th>
          {OUTCOMES.map((o) => <th scope="col">{o}</th>)}
          <th scope="col">pairs with every cell passing</th>
        </tr>
      </thead>
      <tbody>
        {ix.suites.map((suite) => {
          const t = ix.bySuite.get(suite)!;
          const pairs = [...ix.byPair.keys()].map((p) => ix.bySuitePair.get(suitePairKey(suite, p)))
            .filter((x): x is Tally => !!x && x.total > x.unsupported);
          return (
            <tr class={`g-${grade(t)}`}>
              <th scope="row">
                <RunLink here={here} runId={report.id} href={paths.suite(report.id, suite)}>
                  {suite}
                </RunLink>
              </th>
              <td>{ix.cases.get(suite)?.length ?? 0}</td>
              <td>{t.total}</td>
              {OUTCOMES.map((o) => <td>{t[o] || ""}</td>)}
              <td>
                {pairs.filter((p) => grade(p) === "all").length} of {pairs.length}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Conformance({ here, report, rows }: { here: Here; report: Report; rows: VerdictRow[] }) {
  if (rows.length === 0) return null;
  const kinds = VERDICT_KINDS.filter((k) => rows.some((r) => r.counts[k] > 0));
  return (
    <section aria-labelledby="conformance">
      <h2 id="conformance">Conformance: how each library answers bad input</h2>
      <p>
        The reference peer sends a malformed or misplaced post-quantum key share, and the library
        under test should end the handshake with the alert the specification names. Counts of cells
        per verdict; each row links to the cells.
      </p>
      <table class="verdicts">
        <caption>Verdicts per library and the role it played</caption>
        <thead>
          <tr>
            <th scope="col">library under test</th>
            {kinds.map((k) => <th scope="col">{VERDICT_HEADING[k]}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              <th scope="row">
                {row.pairs.length === 1
                  ? (
                    <RunLink
                      here={here}
                      runId={report.id}
                      href={paths.pairSuite(report.id, row.pairs[0], "conformance")}
                    >
                      {row.impl} as {row.role}
                    </RunLink>
                  )
                  : `${row.impl} as ${row.role}`}
              </th>
              {kinds.map((k) => (
                <td class={row.counts[k] > 0 && BAD_VERDICTS.has(k) ? "bad" : undefined}>
                  {row.counts[k] || ""}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Releases({ here, report }: { here: Here; report: Report }) {
  const steps = releaseSteps(report);
  if (steps.length === 0) return null;
  return (
    <section aria-labelledby="releases">
      <h2 id="releases">Releases side by side</h2>
      <p>
        The same cases against the same counterparts, once with each release of a library.
      </p>
      {steps.map((s) => (
        <table>
          <caption>
            {s.from} → {s.to}: {s.differ.length} cells differ {s.differ.length > 0 && (
              <RunLink
                here={here}
                runId={report.id}
                href={paths.releases(report.id, s.library)}
              >
                (which)
              </RunLink>
            )}
          </caption>
          <thead>
            <tr>
              <th scope="col">suite</th>
              <th scope="col">{s.from}</th>
              <th scope="col">{s.to}</th>
              <th scope="col">cells that differ</th>
            </tr>
          </thead>
          <tbody>
            {s.suites.map((x) => (
              <tr>
                <th scope="row">{x.suite}</th>
                <td class={`g-${grade(x.from)}`}>
                  <Counts t={x.from} />
                </td>
                <td class={`g-${grade(x.to)}`}>
                  <Counts t={x.to} />
                </td>
                <td>{x.differ}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function Costs({ here, report, costs }: { here: Here; report: Report; costs: GroupCost[] }) {
  if (costs.length === 0) return null;
  const n = (v: number | null) => (v === null ? "n/a" : String(v));
  return (
    <section aria-labelledby="costs">
      <h2 id="costs">What each group costs on the wire</h2>
      <p>
        Medians over the passing cells of the {CHART_SUITES.join(", ")}{" "}
        suites, as the wire tap counted them.
      </p>
      <img
        class="chart"
        src={to(here, paths.chart(report.id))}
        width="710"
        height={40 + costs.length * 34 + 10}
        alt="Bar chart of handshake bytes per direction and handshake time per group; the same numbers are in the table below."
      />
      <table class="costs">
        <caption>Handshake bytes and time per group (medians)</caption>
        <thead>
          <tr>
            <th scope="col">group</th>
            <th scope="col">cells</th>
            <th scope="col">client → server bytes</th>
            <th scope="col">server → client bytes</th>
            <th scope="col">ClientHello flight</th>
            <th scope="col">server's first flight</th>
            <th scope="col">key shares (client / server)</th>
            <th scope="col">handshake time</th>
          </tr>
        </thead>
        <tbody>
          {costs.map((c) => (
            <tr>
              <th scope="row">{c.group}</th>
              <td>{c.cells}</td>
              <td>{c.clientToServer}</td>
              <td>{c.serverToClient}</td>
              <td>{n(c.firstFlight.client)}</td>
              <td>{n(c.firstFlight.server)}</td>
              <td>{n(c.share.client)} / {n(c.share.server)}</td>
              <td>{ms(c.ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Changes(
  { here, report, previous }: { here: Here; report: Report; previous: Report | null },
) {
  if (!previous) {
    return (
      <section aria-labelledby="changes">
        <h2 id="changes">What changed</h2>
        <p>This is the first run: there is nothing to compare it with.</p>
      </section>
    );
  }
  const d = diffRuns(previous, report);
  const changed = [...d.broke, ...d.fixed, ...d.groupChanged, ...d.otherChanged];
  return (
    <section aria-labelledby="changes">
      <h2 id="changes">What changed since the previous run</h2>
      <p>
        Against <a href={to(here, paths.run(previous.id))}>{previous.id}</a>:{" "}
        <strong>{d.broke.length} broke</strong>, {d.fixed.length} fixed, {d.groupChanged.length}
        {" "}
        negotiated another group, {d.otherChanged.length} other outcome changes; {d.added.length}
        {" "}
        cells are new and {d.removed.length} are gone; {d.unchanged} are the same.{" "}
        <a href={to(here, paths.diff(previous.id, report.id))}>
          Every change
        </a>
      </p>
      {changed.length > 0 && (
        <ChangeList
          here={here}
          from={previous}
          to={report}
          changes={changed.slice(0, CHANGES_SHOWN)}
          caption={changed.length > CHANGES_SHOWN
            ? `The first ${CHANGES_SHOWN} of ${changed.length} changes (what broke first)`
            : "The changes (what broke first)"}
        />
      )}
    </section>
  );
}

function RunFacts({ here, report }: { here: Here; report: Report }) {
  return (
    <dl class="facts">
      <dt>started</dt>
      <dd>{report.startedAt}</dd>
      <dt>finished</dt>
      <dd>{report.finishedAt ?? "not finished"}</dd>
      <dt>wall time</dt>
      <dd>
        {seconds(report.timing.wallMs)}
        {report.timing.cold ? " (cold: images were built during the run)" : ""}
      </dd>
      <dt>command</dt>
      <dd>
        <code>{report.command.join(" ")}</code>
      </dd>
      <dt>commit</dt>
      <dd>{report.commit ?? "unknown"}</dd>
      <dt>plan</dt>
      <dd>
        {report.plan.hash}, {report.plan.cells} cells
        {report.plan.shard ? ` (shard ${report.plan.shard.index}/${report.plan.shard.count})` : ""}
      </dd>
      <dt>links</dt>
      <dd>
        <a href={to(here, paths.run(report.id))}>permalink to this run</a>
        {here.detailed(report.id) && (
          <>
            {" · "}
            {here.staticSite
              ? <a href={to(here, paths.apiRunGz(report.id))}>the report as JSON (gzip)</a>
              : <a href={to(here, paths.apiRun(report.id))}>the report as JSON</a>}
          </>
        )}
      </dd>
    </dl>
  );
}
