// The run history: one row per run with its totals per outcome and its regressions, and a form
// to compare any two runs.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import { OUTCOMES, type Report } from "../../report/schema.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { totalsOf } from "../parts.tsx";

export function RunsPage({ here, reports }: { here: Here; reports: Report[] }) {
  return (
    <Layout here={here} title="Run history" page="runs">
      <h1>Run history</h1>
      <table>
        <caption>{reports.length} runs, newest first</caption>
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
          {reports.map((r, i) => {
            const t = totalsOf(r);
            const previous = reports[i + 1];
            return (
              <tr>
                <th scope="row">
                  <a href={to(here, paths.run(r.id))}>{r.id}</a>
                </th>
                <td>{r.startedAt}</td>
                <td>{r.complete ? "complete" : r.interrupted ? "interrupted" : "running"}</td>
                {OUTCOMES.map((o) => <td>{t[o] ?? 0}</td>)}
                <td>
                  {r.regressions.length === 0 ? "0" : (
                    <details>
                      <summary>{r.regressions.length}</summary>
                      <ul>
                        {r.regressions.map((x) => (
                          <li>
                            <code>{x}</code>
                          </li>
                        ))}
                      </ul>
                    </details>
                  )}
                </td>
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
