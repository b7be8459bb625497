// What changed between two runs: what broke, what got fixed, what negotiated another group, each
// cell linked in both runs. Cells only in one run (a new implementation, a new case) are counted
// per pair, not listed, and a long list stops at DIFF_LIMIT, so the page stays light even between
// two runs that have nothing in common.

import type { Report } from "../../report/schema.ts";
import { type Change, diffRuns } from "../diff.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { CellLink, Mark } from "../parts.tsx";
import { pairKey } from "../runindex.ts";
import { DiffForm } from "./runs.tsx";

/** Rows per kind of change on the diff page; the rest are counted. */
export const DIFF_LIMIT = 200;

export function DiffPage(
  { here, from, to: target }: { here: Here; from: Report; to: Report },
) {
  const d = diffRuns(from, target);
  const sections: [string, string, Change[]][] = [
    ["broke", "What broke (passed before, not now)", d.broke],
    ["fixed", "What got fixed", d.fixed],
    ["group", "What negotiated another group", d.groupChanged],
    ["other", "Other outcome changes", d.otherChanged],
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
          <section aria-labelledby={id}>
            <h2 id={id}>{title}</h2>
            <ChangeList
              here={here}
              from={from}
              to={target}
              changes={changes.slice(0, DIFF_LIMIT)}
              caption={changes.length > DIFF_LIMIT
                ? `The first ${DIFF_LIMIT} of ${changes.length}; the pair pages of each run have the rest`
                : `${changes.length} cells`}
            />
          </section>
        )
      )}
      <OneSided title="Cells only in the newer run" id="added" changes={d.added} />
      <OneSided title="Cells only in the older run" id="removed" changes={d.removed} />
      <p>
        <a href={to(here, paths.diffForm)}>Compare other runs</a>
      </p>
    </Layout>
  );
}

export function ChangeList(
  { here, from, to: target, changes, caption }: {
    here: Here;
    from: Report;
    to: Report;
    changes: Change[];
    caption: string;
  },
) {
  return (
    <table class="changes">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">cell</th>
          <th scope="col">before</th>
          <th scope="col">now</th>
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
  );
}

function Side({ here, run, c }: { here: Here; run: Report; c: Change["before"] }) {
  if (!c) return <td class="none">not in this run</td>;
  return (
    <td class={`o-${c.outcome}`}>
      <CellLink here={here} report={run} r={c}>
        <Mark outcome={c.outcome} />
      </CellLink>
      {c.observed?.group ? ` ${c.observed.group}` : ""}
    </td>
  );
}

/** Cells in only one of the runs, counted per pair. */
function OneSided({ title, id, changes }: { title: string; id: string; changes: Change[] }) {
  if (changes.length === 0) return null;
  const perPair = new Map<string, number>();
  for (const c of changes) {
    const r = (c.after ?? c.before)!;
    const key = pairKey(r.client, r.server);
    perPair.set(key, (perPair.get(key) ?? 0) + 1);
  }
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <table>
        <caption>{changes.length} cells, per pair (client~server)</caption>
        <thead>
          <tr>
            <th scope="col">pair</th>
            <th scope="col">cells</th>
          </tr>
        </thead>
        <tbody>
          {[...perPair].map(([pair, n]) => (
            <tr>
              <th scope="row">{pair.replace("~", " → ")}</th>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
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
