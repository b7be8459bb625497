// The run history: one row per run with its totals per outcome and its regressions, runs this
// viewer cannot read listed where they belong with a notice, and a form to compare any two runs.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { FolderProblem } from "../../report/read.ts";
import { OUTCOMES, type Report } from "../../report/schema.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { Problems } from "../parts.tsx";
import { indexOf } from "../runindex.ts";

type Row = { report: Report } | { unreadable: FolderProblem };

const startOf = (row: Row) =>
  "report" in row ? row.report.startedAt : row.unreadable.run?.startedAt ?? "";

export function RunsPage(
  { here, reports, problems }: { here: Here; reports: Report[]; problems: FolderProblem[] },
) {
  const rows: Row[] = [
    ...reports.map((report) => ({ report })),
    ...problems.filter((p) => p.run).map((unreadable) => ({ unreadable })),
  ].sort((a, b) => startOf(b).localeCompare(startOf(a)));
  return (
    <Layout here={here} title="Run history" page="runs">
      <h1>Run history</h1>
      <Problems problems={problems} />
      <table>
        <caption>{rows.length} runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">run</th>
            <th scope="col">started</th>
            <th scope="col">state</th>
            {OUTCOMES.map((o) => <th scope="col">{o}</th>)}
            <th scope="col">regressions</th>
            <th scope="col">changes</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            if ("unreadable" in row) {
              const p = row.unreadable;
              return (
                <tr>
                  <th scope="row">
                    <a href={to(here, paths.run(p.run!.id))}>{p.run!.id}</a>
                  </th>
                  <td>{p.run!.startedAt ?? "unknown"}</td>
                  <td colspan={OUTCOMES.length + 3}>
                    schema {JSON.stringify(p.run!.schema)}: this viewer cannot read it
                  </td>
                </tr>
              );
            }
            const r = row.report;
            const t = indexOf(r).total;
            const i = reports.indexOf(r);
            const previous = reports[i + 1];
            return (
              <tr>
                <th scope="row">
                  <a href={to(here, paths.run(r.id))}>{r.id}</a>
                </th>
                <td>{r.startedAt}</td>
                <td>{r.complete ? "complete" : r.interrupted ? "interrupted" : "running"}</td>
                {OUTCOMES.map((o) => <td>{t[o]}</td>)}
                <td>{r.regressions.length}</td>
                <td>
                  {previous
                    ? <a href={to(here, paths.diff(previous.id, r.id))}>since previous</a>
                    : "first run"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <DiffForm here={here} reports={reports} />
    </Layout>
  );
}

export function DiffForm({ here, reports }: { here: Here; reports: Report[] }) {
  if (reports.length < 2) return null;
  const select = (name: string, label: string, chosen: string | undefined) => (
    <label>
      {label}
      <select name={name}>
        {reports.map((r) => <option value={r.id} selected={r.id === chosen}>{r.id}</option>)}
      </select>
    </label>
  );
  return (
    <form class="filters" method="get" action={to(here, paths.diffForm)} aria-label="Compare runs">
      {select("from", "from run", reports[1]?.id)}
      {select("to", "to run", reports[0]?.id)}
      <button type="submit">Compare</button>
    </form>
  );
}
