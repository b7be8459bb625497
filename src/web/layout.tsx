// The shell around every page: language, title, stylesheet, skip link, site navigation, and on
// the static export its small script (static/site.js). `data-root` tells that script where the
// site root is.

import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { type Here, paths, to } from "./links.ts";

export function Layout(
  { here, title, page, children }: { here: Here; title: string; page: string; children?: Child },
) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en" data-root={here.root}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title} · pqinterop</title>
          <link rel="stylesheet" href={to(here, paths.css)} />
          <link rel="icon" type="image/svg+xml" href={to(here, paths.icon)} />
          {here.staticSite && <script src={to(here, paths.script)} defer></script>}
        </head>
        <body data-page={page}>
          <a class="skip" href="#main">Skip to content</a>
          <header class="site">
            <a class="brand" href={to(here, paths.home)}>pqinterop</a>
            <nav aria-label="Site">
              <ul>
                <li>
                  <a href={to(here, paths.home)}>Latest run</a>
                </li>
                <li>
                  <a href={to(here, paths.runs)}>Run history</a>
                </li>
                <li>
                  <a href={to(here, paths.diffForm)}>Compare runs</a>
                </li>
                <li>
                  <a href={to(here, paths.apiRuns)}>JSON</a>
                </li>
              </ul>
            </nav>
          </header>
          <main id="main" tabindex={-1}>{children}</main>
          <footer>
            Post-quantum TLS 1.3 interop and conformance matrix. From a run to a suite, a pair and a
            cell: every cell links to its evidence, the handshake as seen on the wire and both
            programs' logs.
          </footer>
        </body>
      </html>
    </>
  );
}
