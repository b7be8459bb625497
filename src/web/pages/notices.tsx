// The pages for "nothing to show here": no runs yet, not found, and a run this viewer cannot read.

import type { FolderProblem } from "../../report/read.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { Problems } from "../parts.tsx";

export function NoRunsPage({ here, problems }: { here: Here; problems: FolderProblem[] }) {
  return (
    <Layout here={here} title="No runs yet" page="empty">
      <h1>No runs yet</h1>
      <Problems problems={problems} />
      <p>There are no run reports to show. Run the matrix to make one:</p>
      <pre>deno task interop --report reports/runs/latest.json</pre>
      <p>
        Any report file in the reports folder is read, whatever it is called: the run's id comes
        from its content.
      </p>
    </Layout>
  );
}

export function NotFoundPage({ here, what }: { here: Here; what: string }) {
  return (
    <Layout here={here} title="Not found" page="not-found">
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <a href={to(here, paths.home)}>Latest run</a> ·{" "}
        <a href={to(here, paths.runs)}>Run history</a>
      </p>
    </Layout>
  );
}

/** A report of a schema this code does not read: what it is, and what to do. */
export function UnreadableRunPage({ here, problem }: { here: Here; problem: FolderProblem }) {
  return (
    <Layout here={here} title={`Run ${problem.run?.id}`} page="unreadable">
      <h1>
        Run <code>{problem.run?.id}</code>
      </h1>
      <p class="banner" role="status">
        This run cannot be shown: <code>{problem.file}</code> is a report of schema{" "}
        {JSON.stringify(problem.run?.schema)}, which this viewer does not read ({problem.why}). A
        newer version of pqinterop shows it.
      </p>
      <p>
        <a href={to(here, paths.runs)}>Run history</a>
      </p>
    </Layout>
  );
}
