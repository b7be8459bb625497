// What changed between two runs: what broke, what got fixed, what negotiated another group.

import type { Report } from "../../report/schema.ts";
import { type Change, diffRuns } from "../diff.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { CellLink, Mark } from "../parts.tsx";
import { DiffForm } from "./runs.tsx";

export function DiffPage(
  { here, from, to: target }: { here: Here; from: Report; to: Report },
) {
  const d = diffRuns(from, target);
  const sections: [string, string, Change[]][] = [
    ["broke", "What broke (passed before, not now)", d.broke],
    ["fixed", "What got fixed", d.fixed],
    ["group", "What negotiated another group", d.groupChanged],
    ["other", "Other outcome changes", d.otherChanged],
    ["added", "Cells only in the newer run", d.added],
    ["removed", "Cells only in the older run", d.removed],
  ];
  return (
    <Layout here={here} title={`Changes ${from.id} → ${target.id}`} page="diff">
      <h1>
        Changes from <a href={to(here, paths.run(from.id))}>{from.id}</a> to{" "}
        <a href={to(here, paths.run(target.id))}>{target.id}</a>
      </h1>
      <p>
        {d.broke.length} broke, {d.fixed.length} fixed, {d.groupChanged.length} changed group,{" "}
        {d.otherChanged.length} other changes, {d.added.length} added, {d.removed.length} removed,
        {" "}
        {d.unchanged} unchanged.
      </p>
      {sections.map(([id, title, changes]) =>
        changes.length > 0 && (
          <table id={id}>
            <caption>{title} ({changes.length})</caption>
            <thead>
              <tr>
                <th scope="col">cell</th>
                <th scope="col">{from.id}</th>
                <th scope="col">{target.id}</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr>
                  <th scope="row">
                    <code>{c.id}</code>
                  </th>
                  <Side here={here} run={from} c={c.before} />
                  <Side here={here} run={target} c={c.after} />
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      <p>
        <a href={to(here, paths.diffForm)}>Compare other runs</a>
      </p>
    </Layout>
  );
}

function Side({ here, run, c }: { here: Here; run: Report; c: Change["before"] }) {
  if (!c) return <td class="none">not in this run</td>;
  return (
    <td class={`o-${c.outcome}`}>
      <CellLink here={here} report={run} r={c}>
        <Mark outcome={c.outcome} />
      </CellLink>{" "}
      {c.observed?.group ?? ""}
    </td>
  );
}

export function DiffFormPage({ here, reports }: { here: Here; reports: Report[] }) {
  return (
    <Layout here={here} title="Compare runs" page="diff-form">
      <h1>Compare two runs</h1>
      {reports.length < 2
        ? <p>There is only one run so far; a comparison needs two.</p>
        : <DiffForm here={here} reports={reports} />}
    </Layout>
  );
}
