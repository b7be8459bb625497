// Two releases of one library in one run, cell by cell: where the newer release did something
// else than the older one against the same counterpart in the same case.

import type { Report, Result } from "../../report/schema.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { CellLink, Mark } from "../parts.tsx";
import type { ReleaseStep } from "../releases.ts";

export function ReleasesPage(
  { here, report, library, steps }: {
    here: Here;
    report: Report;
    library: string;
    steps: ReleaseStep[];
  },
) {
  return (
    <Layout here={here} title={`${library} releases · run ${report.id}`} page="releases">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> › {library} releases
      </nav>
      <h1>{library}: what differs between its releases</h1>
      {steps.map((s) => (
        <table>
          <caption>
            {s.from} → {s.to}: {s.differ.length} cells differ
          </caption>
          <thead>
            <tr>
              <th scope="col">case</th>
              <th scope="col">counterpart</th>
              <th scope="col">{s.from}</th>
              <th scope="col">{s.to}</th>
            </tr>
          </thead>
          <tbody>
            {s.differ.map(({ before, after }) => {
              const any = (before ?? after)!;
              const self = before ? s.from : s.to;
              const role = any.client === self ? "client" : "server";
              const other = role === "client" ? any.server : any.client;
              return (
                <tr>
                  <th scope="row">
                    <code>{any.case}</code>
                  </th>
                  <td>
                    {other} as {role === "client" ? "server" : "client"}
                  </td>
                  <Side here={here} report={report} r={before} />
                  <Side here={here} report={report} r={after} />
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
    </Layout>
  );
}

function Side({ here, report, r }: { here: Here; report: Report; r: Result | null }) {
  if (!r) return <td class="none">not in this run</td>;
  return (
    <td class={`o-${r.outcome}`}>
      <CellLink here={here} report={report} r={r}>
        <Mark outcome={r.outcome} />
      </CellLink>
      {r.observed?.group ? ` ${r.observed.group}` : ""}
    </td>
  );
}
