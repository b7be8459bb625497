// The run page: per suite a client × server grid for each case (one table per suite, one row
// group per case), the GET filter form, the conformance verdicts, the cost chart and the
// versions that ran. `/` shows the newest run with this same page.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import { cellId, OUTCOMES, type Report, type Result } from "../../report/schema.ts";
import { CHART_SUITES, groupCosts } from "../chart.tsx";
import { CONFORMANCE_SUITE, conformanceTables, verdictText } from "../conformance.ts";
import { type Filter, isFiltered, matches } from "../filter.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { CellLink, Mark, ms, ProvenanceTable, RunStatus, totalsOf } from "../parts.tsx";
import { implsOf } from "../support.ts";

export interface MatrixProps {
  here: Here;
  report: Report;
  /** The run before this one, for the "what changed" link. */
  previous: Report | null;
  filter: Filter;
  latest: boolean;
}

const unique = <T,>(xs: T[]): T[] => [...new Set(xs)];

export function MatrixPage({ here, report, previous, filter, latest }: MatrixProps) {
  const shown = report.results.filter((r) => matches(filter, r));
  const suites = unique(report.results.map((r) => r.suite));
  const impls = implsOf(report);
  const regressed = new Set(report.regressions);
  const totals = totalsOf(report);
  const self = latest ? paths.home : paths.run(report.id);
  return (
    <Layout here={here} title={latest ? "Latest run" : `Run ${report.id}`} page="matrix">
      <h1>
        {latest ? "Latest run: " : "Run "}
        <code>{report.id}</code>
      </h1>
      <RunStatus report={report} />
      <dl class="facts">
        <dt>started</dt>
        <dd>{report.startedAt}</dd>
        <dt>finished</dt>
        <dd>{report.finishedAt ?? "not finished"}</dd>
        <dt>wall time</dt>
        <dd>
          {report.timing?.wallMs == null ? "n/a" : `${(report.timing.wallMs / 1000).toFixed(1)} s`}
          {report.timing?.cold ? " (cold: images were built during the run)" : ""}
        </dd>
        <dt>totals</dt>
        <dd>{OUTCOMES.map((o) => `${totals[o] ?? 0} ${o}`).join(", ")}</dd>
        <dt>regressions</dt>
        <dd>
          {report.regressions.length === 0
            ? "none against the committed expectations"
            : `${report.regressions.length}: ${report.regressions.join(", ")}`}
        </dd>
        <dt>command</dt>
        <dd>
          <code>{report.command.join(" ")}</code>
        </dd>
        <dt>links</dt>
        <dd>
          <a href={to(here, paths.run(report.id))}>permalink to this run</a>
          {here.detailed(report.id) && (
            <>
              {" · "}
              <a href={to(here, paths.apiRun(report.id))}>JSON</a>
            </>
          )}
          {previous && (
            <>
              {" · "}
              <a href={to(here, paths.diff(previous.id, report.id))}>
                changes since the previous run
              </a>
            </>
          )}
        </dd>
      </dl>

      <FilterForm
        here={here}
        self={self}
        filter={filter}
        impls={impls}
        suites={suites}
      />
      <p role="status">
        {isFiltered(filter)
          ? `${shown.length} of ${report.results.length} cells match the filters.`
          : `${report.results.length} cells.`}
      </p>

      {suites.map((suite) => (
        <SuiteGrid
          here={here}
          report={report}
          impls={impls}
          regressed={regressed}
          suite={suite}
          results={shown.filter((r) => r.suite === suite)}
        />
      ))}

      <Conformance here={here} report={report} filter={filter} />
      <Costs here={here} report={report} />
      <h2 id="versions">Versions in this run</h2>
      <ProvenanceTable
        here={here}
        impls={report.implementations}
        caption="Implementations and their builds"
      />
    </Layout>
  );
}

function FilterForm(
  { here, self, filter, impls, suites }: {
    here: Here;
    self: string;
    filter: Filter;
    impls: string[];
    suites: string[];
  },
) {
  const select = (name: keyof Filter, label: string, options: readonly string[]) => (
    <label>
      {label}
      <select name={name}>
        <option value="">all</option>
        {options.map((o) => <option value={o} selected={filter[name] === o}>{o}</option>)}
      </select>
    </label>
  );
  return (
    <form class="filters" method="get" action={to(here, self)} aria-label="Filter the matrix">
      {select("impl", "implementation (either side)", impls)}
      {select("suite", "suite", suites)}
      {select("outcome", "outcome", OUTCOMES)}
      <button type="submit">Apply filters</button>
      <a href={to(here, self)}>clear filters</a>
    </form>
  );
}

function SuiteGrid(
  { here, report, impls, regressed, suite, results }: {
    here: Here;
    report: Report;
    /** The run's implementations in order, so columns line up across tables. */
    impls: string[];
    regressed: Set<string>;
    suite: string;
    results: Result[];
  },
) {
  if (results.length === 0) return null;
  const inOrder = (ids: string[]) => {
    const present = new Set(ids);
    return impls.filter((id) => present.has(id));
  };
  const clients = inOrder(results.map((r) => r.client));
  const servers = inOrder(results.map((r) => r.server));
  const cases = unique(results.map((r) => r.case));
  const at = new Map(results.map((r) => [`${r.case} ${r.client} ${r.server}`, r]));
  return (
    <section data-suite={suite} aria-labelledby={`suite-${suite}`}>
      <h2 id={`suite-${suite}`}>Suite {suite}</h2>
      <table class="matrix">
        <caption>
          {suite}: {cases.length} cases, client in rows, server in columns ({results.length} cells)
        </caption>
        <thead>
          <tr>
            <th scope="col">client ↓ · server →</th>
            {servers.map((s) => <th scope="col">{s}</th>)}
          </tr>
        </thead>
        {cases.map((c) => {
          const first = results.find((r) => r.case === c)!;
          return (
            <tbody data-case={c}>
              <tr>
                <th scope="rowgroup" colspan={servers.length + 1}>
                  {first.title} <code>{c}</code>
                </th>
              </tr>
              {clients.map((client) => (
                <tr data-row={client}>
                  <th scope="row">{client}</th>
                  {servers.map((server) => {
                    const r = at.get(`${c} ${client} ${server}`);
                    return r
                      ? <Cell here={here} report={report} r={r} regressed={regressed} />
                      : (
                        <td class="none">
                          —<span class="visually-hidden">not shown</span>
                        </td>
                      );
                  })}
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
    </section>
  );
}

function Cell(
  { here, report, r, regressed }: {
    here: Here;
    report: Report;
    r: Result;
    regressed: Set<string>;
  },
) {
  const group = r.observed?.group;
  return (
    <td
      class={`cell o-${r.outcome}`}
      data-outcome={r.outcome}
      data-client={r.client}
      data-server={r.server}
      data-suite={r.suite}
    >
      <CellLink here={here} report={report} r={r} title={r.reason}>
        <Mark outcome={r.outcome} />
        <span class="group">{group ?? (r.observed ? "no group" : "not run")}</span>
        {regressed.has(cellId(r)) && <strong class="regression">regression</strong>}
      </CellLink>
    </td>
  );
}

function Conformance({ here, report, filter }: { here: Here; report: Report; filter: Filter }) {
  if (filter.suite !== null && filter.suite !== CONFORMANCE_SUITE) return null;
  const tables = conformanceTables(report)
    .map((t) => ({ ...t, rows: t.rows.filter((row) => matches(filter, row.result)) }))
    .filter((t) => t.rows.length > 0);
  if (tables.length === 0) return null;
  return (
    <section aria-labelledby="conformance">
      <h2 id="conformance">Conformance: how each library answers bad input</h2>
      {tables.map((t) => (
        <table>
          <caption>{t.impl} as {t.role}</caption>
          <thead>
            <tr>
              <th scope="col">case</th>
              <th scope="col">expected</th>
              <th scope="col">verdict</th>
            </tr>
          </thead>
          <tbody>
            {t.rows.map(({ result, verdict }) => (
              <tr>
                <th scope="row">
                  <CellLink here={here} report={report} r={result}>{result.title}</CellLink>
                </th>
                <td>
                  {result.expected.kind === "alert"
                    ? `${result.expected.alert} from the ${result.expected.by}`
                    : "handshake"}
                </td>
                <td class={`o-${result.outcome}`}>
                  <Mark outcome={result.outcome} /> — {verdictText(verdict)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function Costs({ here, report }: { here: Here; report: Report }) {
  const costs = groupCosts(report);
  if (costs.length === 0) return null;
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
        alt="Bar chart of handshake bytes per direction and handshake time per group; the same numbers are in the table below."
      />
      <table>
        <caption>Handshake bytes and time per group (medians)</caption>
        <thead>
          <tr>
            <th scope="col">group</th>
            <th scope="col">cells</th>
            <th scope="col">client → server bytes</th>
            <th scope="col">server → client bytes</th>
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
              <td>{ms(c.ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
