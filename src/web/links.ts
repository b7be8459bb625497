// Every link a page writes is relative, so the same HTML works on the live server, on a static
// host under a sub-path (GitHub Pages' /<repo>/) and from any depth. A page knows how far below
// the site root it is from its own request path; `to("runs/x/")` climbs back up and down again.
// Pages are directories (trailing `/`), which the static export turns into `index.html`.

export interface Here {
  /** "./" at the root, "../" one directory down, and so on. */
  root: string;
  /** Rendering for the static export (the filter form then needs its tiny script). */
  staticSite: boolean;
  /** Whether a run's cell pages and JSON exist (a static export keeps them for recent runs). */
  detailed: (runId: string) => boolean;
}

/** A browser resolves relative links against everything up to the last `/` of the path. */
export function hereFor(
  pathname: string,
  staticSite = false,
  detailed: (runId: string) => boolean = () => true,
): Here {
  const depth = pathname.split("/").length - 2;
  return { root: depth > 0 ? "../".repeat(depth) : "./", staticSite, detailed };
}

export const to = (here: Here, path: string): string => here.root + path;

/**
 * Whether a cell has a page. A static export keeps them for its detailed runs, and there only for
 * cells that did not pass: a pass's row already says what was negotiated, its evidence stays in
 * the run's evidence file and on the live service, and pages for every pass would be two thirds
 * of the export.
 */
export const hasCellPage = (here: Here, runId: string, outcome: string): boolean =>
  here.detailed(runId) && !(here.staticSite && outcome === "pass");

/** Canonical page paths, relative to the site root. */
export const paths = {
  home: "",
  runs: "runs/",
  run: (id: string) => `runs/${id}/`,
  suite: (id: string, suite: string) => `runs/${id}/suites/${suite}/`,
  pair: (id: string, pair: string) => `runs/${id}/pairs/${pair}/`,
  pairSuite: (id: string, pair: string, suite: string) => `runs/${id}/pairs/${pair}/${suite}/`,
  releases: (id: string, library: string) => `runs/${id}/releases/${library}/`,
  cell: (id: string, slug: string) => `runs/${id}/cells/${slug}/`,
  /** The static export's compressed evidence of a cell, beside its page. */
  cellEvidence: (id: string, slug: string) => `runs/${id}/cells/${slug}/evidence.html.gz`,
  chart: (id: string) => `runs/${id}/chart.svg`,
  diffForm: "diff/",
  diff: (from: string, toId: string) => `diff/${from}/${toId}/`,
  impl: (id: string) => `impl/${id}/`,
  badge: (id: string) => `badge/${id}.svg`,
  apiRuns: "api/runs.json",
  apiRun: (id: string) => `api/runs/${id}.json`,
  /** The static export's copy of a report: gzipped, a twenty-fifth of the size on disk. */
  apiRunGz: (id: string) => `api/runs/${id}.json.gz`,
  apiCell: (id: string, slug: string) => `api/runs/${id}/cells/${slug}.json`,
  apiLatest: "api/latest.json",
  css: "static/style.css",
  icon: "static/icon.svg",
  script: "static/site.js",
};
