// One implementation as the results show it: per suite and role what passed, the groups it
// completed handshakes with, why it said "unsupported", and its version in every run.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { Report } from "../../report/schema.ts";
import { OUTCOMES } from "../../report/schema.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { RunLink } from "../parts.tsx";
import { supportOf, versionsOver } from "../support.ts";

export function ImplPage(
  { here, impl, latest, reports }: { here: Here; impl: string; latest: Report; reports: Report[] },
) {
  const s = supportOf(impl, latest);
  const versions = versionsOver(impl, reports);
  const name = versions[0]?.provenance.name ?? impl;
  return (
    <Layout here={here} title={name} page="impl">
      <h1>{name}</h1>
      <p>
        From the results of the newest run it took part in,{" "}
        <a href={to(here, paths.run(latest.id))}>{latest.id}</a>.{" "}
        <img src={to(here, paths.badge(impl))} alt="" /> (badge: <code>{paths.badge(impl)}</code>)
      </p>
      <table>
        <caption>Outcomes per suite and role</caption>
        <thead>
          <tr>
            <th scope="col">suite</th>
            <th scope="col">role</th>
            {OUTCOMES.map((o) => <th scope="col">{o}</th>)}
            <th scope="col">total</th>
          </tr>
        </thead>
        <tbody>
          {[...s.suites].flatMap(([suite, byRole]) =>
            (["client", "server"] as const).filter((role) => byRole[role].total > 0).map((role) => (
              <tr>
                <th scope="row">
                  <RunLink here={here} runId={latest.id} href={paths.suite(latest.id, suite)}>
                    {suite}
                  </RunLink>
                </th>
                <td>{role}</td>
                {OUTCOMES.map((o) => <td>{byRole[role][o] ?? 0}</td>)}
                <td>{byRole[role].total}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <table>
        <caption>Groups it completed handshakes with (passing cells per role)</caption>
        <thead>
          <tr>
            <th scope="col">group</th>
            <th scope="col">as client</th>
            <th scope="col">as server</th>
          </tr>
        </thead>
        <tbody>
          {[...s.groups].map(([g, n]) => (
            <tr>
              <th scope="row">{g}</th>
              <td>{n.client}</td>
              <td>{n.server}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Why it said “unsupported”</h2>
      {s.unsupported.size === 0 ? <p>It never did in this run.</p> : (
        <ul>
          {[...s.unsupported].map(([reason, n]) => <li>{reason} ({n} cells)</li>)}
        </ul>
      )}
      <h2>Versions over time</h2>
      <table>
        <caption>
          Its build as recorded by the runs, newest first; a new row when it changed
        </caption>
        <thead>
          <tr>
            <th scope="col">version</th>
            <th scope="col">build</th>
            <th scope="col">image</th>
            <th scope="col">runs</th>
            <th scope="col">from</th>
            <th scope="col">to</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr>
              <th scope="row">{v.provenance.version}</th>
              <td>
                <code>{v.provenance.build}</code>
              </td>
              <td>
                {v.provenance.image ? <code>{v.provenance.image.id.slice(0, 19)}</code> : "host"}
              </td>
              <td>{v.runs}</td>
              <td>
                <a href={to(here, paths.run(v.oldest.id))}>{v.oldest.startedAt}</a>
              </td>
              <td>
                <a href={to(here, paths.run(v.newest.id))}>{v.newest.startedAt}</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
