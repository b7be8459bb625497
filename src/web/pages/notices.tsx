// The pages for "nothing here": no runs yet, and not found.

import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";

export function NoRunsPage({ here }: { here: Here }) {
  return (
    <Layout here={here} title="No runs yet" page="empty">
      <h1>No runs yet</h1>
      <p>There are no run reports to show. Run the matrix to make one:</p>
      <pre>deno task interop</pre>
      <p>It writes reports/runs/&lt;id&gt;.json, which this page reads.</p>
    </Layout>
  );
}

export function NotFoundPage({ here, what }: { here: Here; what: string }) {
  return (
    <Layout here={here} title="Not found" page="not-found">
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <a href={to(here, paths.home)}>Latest matrix</a> ·{" "}
        <a href={to(here, paths.runs)}>Run history</a>
      </p>
    </Layout>
  );
}
