// The results service: HTML pages, SVG (badges, charts) and JSON, all read from a ReportStore.
// Routes accept both `/runs/x` and `/runs/x/`; pages link to the trailing-slash form, which is
// also the static export's directory layout. Unknown ids and paths end on the 404 page; a file
// that cannot be read is named on the pages, never a 500.

import { Hono } from "hono";
import type { Context } from "hono";
import type { Run } from "../report/read.ts";
import type { Report, Result } from "../report/schema.ts";
import { ICON_SVG, SITE_JS, STYLE_CSS } from "./assets.ts";
import { badgeSvg } from "./badge.ts";
import { findCell } from "./cells.ts";
import { CostChart, groupCosts } from "./chart.tsx";
import { withDelivery } from "./delivery.ts";
import { guard } from "./headers.ts";
import { libraryOf } from "./impls.ts";
import { hasCellPage, type Here, hereFor } from "./links.ts";
import { CellDetails, CellPage } from "./pages/cell.tsx";
import { DiffFormPage, DiffPage } from "./pages/diff.tsx";
import { ImplPage } from "./pages/impl.tsx";
import { NoRunsPage, NotFoundPage, UnreadableRunPage } from "./pages/notices.tsx";
import { PairPage, PairSuitePage } from "./pages/pair.tsx";
import { ReleasesPage } from "./pages/releases.tsx";
import { RunsPage } from "./pages/runs.tsx";
import { SuitePage } from "./pages/suite.tsx";
import { SummaryPage } from "./pages/summary.tsx";
import { releaseSteps } from "./releases.ts";
import { indexOf, pairKey, parsePair, suitePairKey } from "./runindex.ts";
import { isRunId, type ReportStore } from "./store.ts";
import { passCount } from "./support.ts";

export interface AppOptions {
  /**
   * Render for the static export: pages carry the site script, and a cell's evidence is a
   * compressed fragment beside its page instead of part of it.
   */
  staticSite?: boolean;
  /**
   * Only the newest this-many runs have pages below their summary (suites, pairs, cells) and
   * JSON; older ones show their summary with the numbers unlinked. A static host has a size limit.
   */
  detailRuns?: number;
}

/** `x.json` and `x.svg` name the same thing as `x` where a static host needs an extension. */
const stem = (s: string, ext: string) => (s.endsWith(ext) ? s.slice(0, -ext.length) : s);

/** A finished run never changes: its pages can be kept a day without asking again. */
const IMMUTABLE = "public, max-age=86400, immutable";

export function createApp(store: ReportStore, options: AppOptions = {}) {
  const app = new Hono({ strict: false });
  async function detailed(): Promise<(runId: string) => boolean> {
    if (options.detailRuns === undefined) return () => true;
    const ids = new Set((await store.list()).slice(0, options.detailRuns).map((r) => r.report.id));
    return (runId) => ids.has(runId);
  }
  const here = async (c: Context) =>
    hereFor(new URL(c.req.url).pathname, options.staticSite, await detailed());
  const notFound = async (c: Context, what = "There is nothing at this address.") =>
    c.html(<NotFoundPage here={await here(c)} what={what} />, 404);
  const noRuns = async (c: Context) =>
    c.html(<NoRunsPage here={await here(c)} problems={(await store.shelf()).problems} />);

  /** The run and the one before it, or null for an unknown id. */
  async function withPrevious(id: string): Promise<[Run, Run | null] | null> {
    if (!isRunId(id)) return null;
    const runs = await store.list();
    const i = runs.findIndex((r) => r.report.id === id);
    return i < 0 ? null : [runs[i], runs[i + 1] ?? null];
  }

  /** The run, when it exists and its details are published (`detailRuns`); else null. */
  async function detailedRun(id: string): Promise<Run | null> {
    const run = await store.get(id);
    return run && (await detailed())(run.report.id) ? run : null;
  }

  /** Pages of a finished run are immutable; a running one changes with every cell. */
  const cacheFor = (c: Context, report: Report) => {
    if (report.complete || report.interrupted) c.header("Cache-Control", IMMUTABLE);
  };

  app.use(guard);

  app.get("/healthz", (c) => c.text("ok\n"));
  const file = (body: string, type: string) => (c: Context) =>
    c.body(body, 200, { "Content-Type": type, "Cache-Control": "public, max-age=3600" });
  app.get("/static/style.css", file(STYLE_CSS, "text/css; charset=utf-8"));
  app.get("/static/icon.svg", file(ICON_SVG, "image/svg+xml"));
  app.get("/static/site.js", file(SITE_JS, "text/javascript; charset=utf-8"));

  app.get("/", async (c) => {
    const shelf = await store.shelf();
    const newest = shelf.runs[0]?.report;
    // Links from before the summary page: `?run=` and the old matrix filters.
    const { run, suite, impl } = c.req.query();
    if (run !== undefined) {
      if (!isRunId(run)) return notFound(c, "That run id is not valid.");
      return c.redirect(`/runs/${run}/`);
    }
    if (impl && /^[a-z][a-z0-9@.+-]*$/.test(impl)) return c.redirect(`/impl/${impl}/`);
    if (suite && newest && indexOf(newest).suites.includes(suite)) {
      return c.redirect(`/runs/${newest.id}/suites/${suite}/`);
    }
    if (!newest) return noRuns(c);
    return c.html(
      <SummaryPage
        here={await here(c)}
        report={newest}
        previous={shelf.runs[1]?.report ?? null}
        latest
        problems={shelf.problems}
      />,
    );
  });

  app.get("/runs", async (c) => {
    const shelf = await store.shelf();
    if (shelf.runs.length === 0 && !shelf.problems.some((p) => p.run)) return noRuns(c);
    return c.html(
      <RunsPage
        here={await here(c)}
        reports={shelf.runs.map((r) => r.report)}
        problems={shelf.problems}
      />,
    );
  });

  app.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    const found = await withPrevious(id);
    if (!found) {
      const unreadable = isRunId(id) &&
        (await store.shelf()).problems.find((p) => p.run?.id === id);
      if (unreadable) {
        return c.html(<UnreadableRunPage here={await here(c)} problem={unreadable} />);
      }
      return notFound(c, "No run with that id.");
    }
    const [run, previous] = found;
    cacheFor(c, run.report);
    return c.html(
      <SummaryPage
        here={await here(c)}
        report={run.report}
        previous={previous?.report ?? null}
        latest={false}
        problems={[]}
      />,
    );
  });

  app.get("/runs/:id/chart.svg", async (c) => {
    const run = await store.get(c.req.param("id"));
    if (!run) return notFound(c, "No run with that id.");
    cacheFor(c, run.report);
    const svg = String(<CostChart costs={groupCosts(run.report)} />);
    return c.body(svg, 200, { "Content-Type": "image/svg+xml" });
  });

  app.get("/runs/:id/suites/:suite", async (c) => {
    const run = await detailedRun(c.req.param("id"));
    const suite = c.req.param("suite");
    if (!run || !indexOf(run.report).suites.includes(suite)) {
      return notFound(c, "No such suite in that run.");
    }
    cacheFor(c, run.report);
    return c.html(<SuitePage here={await here(c)} report={run.report} suite={suite} />);
  });

  app.get("/runs/:id/pairs/:pair", async (c) => {
    const run = await detailedRun(c.req.param("id"));
    const pair = parsePair(c.req.param("pair"));
    if (!run || !pair || !indexOf(run.report).byPair.has(pairKey(pair.client, pair.server))) {
      return notFound(c, "No such pair in that run.");
    }
    cacheFor(c, run.report);
    return c.html(<PairPage here={await here(c)} report={run.report} {...pair} />);
  });

  app.get("/runs/:id/pairs/:pair/:suite", async (c) => {
    const run = await detailedRun(c.req.param("id"));
    const pair = parsePair(c.req.param("pair"));
    const suite = c.req.param("suite");
    const key = pair && suitePairKey(suite, pairKey(pair.client, pair.server));
    if (!run || !key || !indexOf(run.report).cells.has(key)) {
      return notFound(c, "That pair has no cells in that suite.");
    }
    cacheFor(c, run.report);
    return c.html(
      <PairSuitePage here={await here(c)} report={run.report} {...pair!} suite={suite} />,
    );
  });

  app.get("/runs/:id/releases/:library", async (c) => {
    const run = await detailedRun(c.req.param("id"));
    const library = c.req.param("library");
    const steps = run ? releaseSteps(run.report).filter((s) => s.library === library) : [];
    if (!run || steps.length === 0) return notFound(c, "That library has one release in the run.");
    cacheFor(c, run.report);
    return c.html(
      <ReleasesPage here={await here(c)} report={run.report} library={library} steps={steps} />,
    );
  });

  /** The run and cell a cell page is about, when that cell has a page (hasCellPage). */
  async function pagedCell(c: Context): Promise<[Run, Result, Here] | null> {
    const run = await detailedRun(c.req.param("id") ?? "");
    const r = run && findCell(run.report, c.req.param("cell") ?? "");
    const at = await here(c);
    return run && r && hasCellPage(at, run.report.id, r.outcome) ? [run, r, at] : null;
  }

  app.get("/runs/:id/cells/:cell", async (c) => {
    const found = await pagedCell(c);
    if (!found) return notFound(c, "No such cell in that run.");
    const [run, r, at] = found;
    cacheFor(c, run.report);
    const evidence = options.staticSite
      ? { kind: "deferred" as const, src: "evidence.html.gz" }
      : { kind: "inline" as const, evidence: await run.evidence(r) };
    return c.html(<CellPage here={at} report={run.report} r={r} evidence={evidence} />);
  });

  // The static export's form of a cell's details: what the live page has inline, gzipped.
  app.get("/runs/:id/cells/:cell/evidence.html.gz", async (c) => {
    const found = await pagedCell(c);
    if (!found) return notFound(c, "No such cell in that run.");
    const [run, r, at] = found;
    cacheFor(c, run.report);
    const html = String(
      <CellDetails
        here={at}
        report={run.report}
        r={r}
        evidence={await run.evidence(r)}
      />,
    );
    return c.body(await gzipped(html), 200, { "Content-Type": "application/gzip" });
  });

  app.get("/diff", async (c) => {
    const { from, to } = c.req.query();
    if (from !== undefined || to !== undefined) {
      if (!isRunId(from ?? "") || !isRunId(to ?? "")) {
        return notFound(c, "Those run ids are not valid.");
      }
      return c.redirect(`/diff/${from}/${to}/`);
    }
    const runs = await store.list();
    return runs.length === 0
      ? noRuns(c)
      : c.html(<DiffFormPage here={await here(c)} reports={runs.map((r) => r.report)} />);
  });

  app.get("/diff/:from/:to", async (c) => {
    const from = await store.get(c.req.param("from"));
    const to = await store.get(c.req.param("to"));
    if (!from || !to) return notFound(c, "One of the two runs does not exist.");
    if (from.report.complete && to.report.complete) c.header("Cache-Control", IMMUTABLE);
    return c.html(<DiffPage here={await here(c)} from={from.report} to={to.report} />);
  });

  app.get("/impl/:id", async (c) => {
    const runs = await store.list();
    const impl = c.req.param("id");
    if (runs.length === 0) return noRuns(c);
    // Its page is about its newest run; an implementation no longer run still has one.
    const newest = runs.find((r) => indexOf(r.report).impls.includes(impl));
    if (!newest) return notFound(c, "No implementation with that id in any run.");
    return c.html(
      <ImplPage
        here={await here(c)}
        impl={impl}
        latest={newest.report}
        reports={runs.map((r) => r.report)}
      />,
    );
  });

  app.get("/badge/:file", async (c) => {
    const impl = stem(c.req.param("file"), ".svg");
    const newest = (await store.list()).find((r) => indexOf(r.report).impls.includes(impl));
    if (!newest) return notFound(c, "No such implementation.");
    const { pass, total } = passCount(impl, newest.report);
    return c.body(badgeSvg(impl, pass, total), 200, {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "max-age=300",
    });
  });

  const runList = async (c: Context) => c.json({ runs: (await store.list()).map(summary) });
  app.get("/api/runs", runList);
  app.get("/api/runs.json", runList);
  const latestJson = async (c: Context) => jsonOr404(c, (await store.list())[0]?.report);
  app.get("/api/latest", latestJson);
  app.get("/api/latest.json", latestJson);
  app.get("/api/runs/:id", async (c) => {
    const id = c.req.param("id");
    const run = await detailedRun(stem(stem(id, ".gz"), ".json"));
    if (run) cacheFor(c, run.report);
    if (!run || !id.endsWith(".json.gz")) return jsonOr404(c, run?.report);
    return c.body(await gzipped(JSON.stringify(run.report)), 200, {
      "Content-Type": "application/gzip",
    });
  });
  app.get("/api/runs/:id/cells/:cell", async (c) => {
    const run = await detailedRun(c.req.param("id"));
    const r = run && findCell(run.report, stem(c.req.param("cell"), ".json"));
    if (!run || !r) return jsonOr404(c, null);
    cacheFor(c, run.report);
    return c.json({ result: r, evidence: await run.evidence(r) });
  });

  app.notFound((c) => notFound(c));
  app.onError((err, c) => {
    console.error(`web: ${c.req.method} ${new URL(c.req.url).pathname}: ${err.message}`);
    return c.text("internal error\n", 500);
  });
  return app;
}

/**
 * The live server's handler: the app behind the response cache, compression and ETags
 * (src/web/delivery.ts). The static export uses the app itself: it asks for every path once.
 */
export function createHandler(store: ReportStore): (req: Request) => Promise<Response> {
  return withDelivery(createApp(store).fetch, { version: () => store.version() });
}

const gzipped = (text: string): Promise<ArrayBuffer> =>
  new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();

const jsonOr404 = (c: Context, value: unknown) =>
  value ? c.json(value) : c.json({ error: "not found" }, 404);

/** One run in the `/api/runs` list: enough to draw the history without loading every report. */
function summary({ report: r, source }: Run) {
  return {
    id: r.id,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    complete: r.complete,
    totals: r.totals,
    regressions: r.regressions,
    cells: r.results.length,
    implementations: indexOf(r).impls,
    libraries: [...new Set(indexOf(r).impls.map(libraryOf))],
    schema: source.schema,
  };
}
