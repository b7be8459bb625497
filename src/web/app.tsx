// The results service: HTML pages, SVG (badges, charts) and JSON, all read from a ReportStore.
// Routes accept both `/runs/x` and `/runs/x/`; pages link to the trailing-slash form, which is
// also the static export's directory layout. Unknown ids and paths end on the 404 page.

import { Hono } from "hono";
import type { Context } from "hono";
import type { Report } from "../report/schema.ts";
import { FILTER_JS, ICON_SVG, STYLE_CSS } from "./assets.ts";
import { badgeSvg } from "./badge.ts";
import { responseCache } from "./cache.ts";
import { findCell } from "./cells.ts";
import { CostChart, groupCosts } from "./chart.tsx";
import { parseFilter } from "./filter.ts";
import { guard } from "./headers.ts";
import { hereFor } from "./links.ts";
import { CellPage } from "./pages/cell.tsx";
import { DiffFormPage, DiffPage } from "./pages/diff.tsx";
import { ImplPage } from "./pages/impl.tsx";
import { MatrixPage } from "./pages/matrix.tsx";
import { NoRunsPage, NotFoundPage } from "./pages/notices.tsx";
import { RunsPage } from "./pages/runs.tsx";
import { isRunId, type ReportStore } from "./store.ts";
import { implsOf, passCount } from "./support.ts";

export interface AppOptions {
  /** Render for the static export: pages carry the filter script. */
  staticSite?: boolean;
  /**
   * Only the newest this-many runs have cell pages and JSON (the rest show their matrix without
   * links into cells). A static host has a size limit and cells are most of a run's bytes.
   */
  detailRuns?: number;
}

/** `x.json` and `x.svg` name the same thing as `x` where a static host needs an extension. */
const stem = (s: string, ext: string) => (s.endsWith(ext) ? s.slice(0, -ext.length) : s);

export function createApp(store: ReportStore, options: AppOptions = {}) {
  const app = new Hono({ strict: false });
  async function detailed(): Promise<(runId: string) => boolean> {
    if (options.detailRuns === undefined) return () => true;
    const ids = new Set((await store.list()).slice(0, options.detailRuns).map((r) => r.id));
    return (runId) => ids.has(runId);
  }
  const here = async (c: Context) =>
    hereFor(new URL(c.req.url).pathname, options.staticSite, await detailed());
  const notFound = async (c: Context, what = "There is nothing at this address.") =>
    c.html(<NotFoundPage here={await here(c)} what={what} />, 404);
  const noRuns = async (c: Context) => c.html(<NoRunsPage here={await here(c)} />);

  /** The report, when it exists and its cells are published (`detailRuns`); else null. */
  async function detailedRun(id: string): Promise<Report | null> {
    const report = await store.get(id);
    return report && (await detailed())(report.id) ? report : null;
  }

  /** The report and the one before it, or null for an unknown id. */
  async function withPrevious(id: string): Promise<[Report, Report | null] | null> {
    if (!isRunId(id)) return null;
    const reports = await store.list();
    const i = reports.findIndex((r) => r.id === id);
    return i < 0 ? null : [reports[i], reports[i + 1] ?? null];
  }

  app.use(guard);
  // The export asks for every path once, so a cache would only hold copies.
  if (!options.staticSite) app.use(responseCache(store));

  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/static/style.css", (c) => c.body(STYLE_CSS, 200, { "Content-Type": "text/css" }));
  app.get("/static/icon.svg", (c) => c.body(ICON_SVG, 200, { "Content-Type": "image/svg+xml" }));
  app.get(
    "/static/filter.js",
    (c) => c.body(FILTER_JS, 200, { "Content-Type": "text/javascript" }),
  );

  app.get("/", async (c) => {
    const run = c.req.query("run");
    if (run !== undefined) {
      if (!isRunId(run)) return notFound(c, "That run id is not valid.");
      const q = new URLSearchParams(c.req.query());
      q.delete("run");
      return c.redirect(`/runs/${run}/${q.size ? `?${q}` : ""}`);
    }
    const filter = parseFilter(c.req.query());
    if (!filter) return badFilter(c);
    const reports = await store.list();
    if (reports.length === 0) return noRuns(c);
    return c.html(
      <MatrixPage
        here={await here(c)}
        report={reports[0]}
        previous={reports[1] ?? null}
        filter={filter}
        latest
      />,
    );
  });

  app.get("/runs", async (c) => {
    const reports = await store.list();
    return reports.length === 0
      ? noRuns(c)
      : c.html(<RunsPage here={await here(c)} reports={reports} />);
  });

  app.get("/runs/:id", async (c) => {
    const found = await withPrevious(c.req.param("id"));
    if (!found) return notFound(c, "No run with that id.");
    const filter = parseFilter(c.req.query());
    if (!filter) return badFilter(c);
    const [report, previous] = found;
    return c.html(
      <MatrixPage
        here={await here(c)}
        report={report}
        previous={previous}
        filter={filter}
        latest={false}
      />,
    );
  });

  app.get("/runs/:id/chart.svg", async (c) => {
    const report = await store.get(c.req.param("id"));
    if (!report) return notFound(c, "No run with that id.");
    const svg = String(<CostChart costs={groupCosts(report)} />);
    return c.body(svg, 200, { "Content-Type": "image/svg+xml" });
  });

  app.get("/runs/:id/cells/:cell", async (c) => {
    const report = await detailedRun(c.req.param("id"));
    const r = report && findCell(report, c.req.param("cell"));
    if (!report || !r) return notFound(c, "No such cell in that run.");
    return c.html(<CellPage here={await here(c)} report={report} r={r} />);
  });

  app.get("/diff", async (c) => {
    const { from, to } = c.req.query();
    if (from !== undefined || to !== undefined) {
      if (!isRunId(from ?? "") || !isRunId(to ?? "")) {
        return notFound(c, "Those run ids are not valid.");
      }
      return c.redirect(`/diff/${from}/${to}/`);
    }
    const reports = await store.list();
    return reports.length === 0
      ? noRuns(c)
      : c.html(<DiffFormPage here={await here(c)} reports={reports} />);
  });

  app.get("/diff/:from/:to", async (c) => {
    const from = await store.get(c.req.param("from"));
    const to = await store.get(c.req.param("to"));
    if (!from || !to) return notFound(c, "One of the two runs does not exist.");
    return c.html(<DiffPage here={await here(c)} from={from} to={to} />);
  });

  app.get("/impl/:id", async (c) => {
    const reports = await store.list();
    const impl = c.req.param("id");
    if (reports.length === 0) return noRuns(c);
    if (!implsOf(reports[0]).includes(impl)) {
      return notFound(c, "No implementation with that id in the latest run.");
    }
    return c.html(
      <ImplPage here={await here(c)} impl={impl} latest={reports[0]} reports={reports} />,
    );
  });

  app.get("/badge/:file", async (c) => {
    const impl = stem(c.req.param("file"), ".svg");
    const latest = await store.latest();
    if (!latest || !implsOf(latest).includes(impl)) return notFound(c, "No such implementation.");
    const { pass, total } = passCount(impl, latest);
    return c.body(badgeSvg(impl, pass, total), 200, {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "max-age=300",
    });
  });

  app.get("/api/runs", async (c) => c.json({ runs: (await store.list()).map(summary) }));
  app.get("/api/runs.json", async (c) => c.json({ runs: (await store.list()).map(summary) }));
  app.get("/api/latest", async (c) => jsonOr404(c, await store.latest()));
  app.get("/api/latest.json", async (c) => jsonOr404(c, await store.latest()));
  app.get("/api/runs/:id", async (c) => {
    return jsonOr404(c, await detailedRun(stem(c.req.param("id"), ".json")));
  });
  app.get("/api/runs/:id/cells/:cell", async (c) => {
    const report = await detailedRun(c.req.param("id"));
    return jsonOr404(c, report && findCell(report, stem(c.req.param("cell"), ".json")));
  });

  app.notFound((c) => notFound(c));
  app.onError((err, c) => {
    console.error(`web: ${c.req.method} ${new URL(c.req.url).pathname}: ${err.message}`);
    return c.text("internal error\n", 500);
  });
  return app;
}

const badFilter = (c: Context) =>
  c.text("filters take an implementation, suite or outcome name (letters, digits, . _ -)\n", 400);

const jsonOr404 = (c: Context, value: unknown) =>
  value ? c.json(value) : c.json({ error: "not found" }, 404);

/** One run in the `/api/runs` list: enough to draw the history without loading every report. */
function summary(r: Report) {
  return {
    id: r.id,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    complete: r.complete,
    totals: r.totals,
    regressions: r.regressions,
    cells: r.results.length,
  };
}
