// The static files every page links: the stylesheet, the icon and, on the static export only, the
// small script that does there what the live server does (`?run=`, `diff/?from=&to=`, a cell's
// evidence). Served from files, never inline, so the CSP can forbid inline code.

/** A favicon, so browsers do not ask for /favicon.ico and log a 404. */
export const ICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" ` +
  `rx="3" fill="#13294b"/><path d="M4 8l3 3 5-6" stroke="#fff" stroke-width="2" fill="none"/></svg>`;

export const STYLE_CSS = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --link: #0b4f9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: #fff; }
a { color: var(--link); }
a:focus, button:focus, select:focus, summary:focus { outline: 3px solid #f5a300; outline-offset: 1px; }
.skip { position: absolute; left: -10000px; top: 0; background: #fff; padding: .5em 1em; }
.skip:focus { left: 0; z-index: 10; }
header.site { background: #13294b; color: #fff; padding: .6em 1em; display: flex; gap: 1.5em; flex-wrap: wrap; align-items: baseline; }
header.site a { color: #fff; }
header.site .brand { font-weight: bold; font-size: 1.1em; text-decoration: none; }
header.site nav ul { list-style: none; display: flex; gap: 1em; margin: 0; padding: 0; flex-wrap: wrap; }
main { padding: 1em; max-width: 110em; }
footer { padding: 1em; color: var(--muted); border-top: 1px solid var(--line); }
h1 { font-size: 1.5em; margin: .2em 0 .5em; }
h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { border: 1px solid var(--line); padding: .25em .5em; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.lead { font-size: 1.05em; max-width: 60em; }
.crumbs { margin: .3em 0; }
.bad { color: #7a1114; }
td.bad { background: #fbe4e4; font-weight: bold; }
.scroll { overflow-x: auto; max-width: 100%; }
table.grid { font-size: .88em; }
table.grid td { text-align: center; white-space: nowrap; padding: .25em .35em; }
table.grid td a, table.grid td span { color: inherit; }
table.grid th[scope=colgroup] { text-align: center; }
.g-all { background: #cdebd3; }
.g-most { background: #e3efc0; }
.g-some { background: #fddcb0; }
.g-none { background: #f6c4c4; }
.g-unsupported { background: #e6e6e6; }
.g-empty { color: var(--muted); }
tr[class^=g-] th { background: inherit; }
.legend span { display: inline-block; padding: .1em .5em; margin: 0 .4em .3em 0; border: 1px solid var(--line); }
ul.fields { list-style: none; margin: 0; padding-left: 1.2em; }
ul.fields i { font-style: normal; color: var(--muted); }
.o-pass { background: #e3f4e6; color: #0f4d21; }
.o-fail { background: #fbe4e4; color: #7a1114; }
.o-error { background: #fbe4e4; color: #7a1114; }
.o-timeout { background: #fff0d6; color: #5c3300; }
.o-flaky { background: #fff0d6; color: #5c3300; }
.o-unverified { background: #fff0d6; color: #5c3300; }
.o-unsupported { background: #f0f0f0; color: #3d3d3d; }
.sym { font-weight: bold; margin-right: .25em; }
.none { color: var(--muted); }
form.filters { display: flex; gap: 1em; flex-wrap: wrap; align-items: end; padding: .6em; background: #f6f7f9; border: 1px solid var(--line); }
form.filters label { display: flex; flex-direction: column; font-size: .9em; }
select, button, input { font: inherit; padding: .2em .4em; }
button { background: #13294b; color: #fff; border: 0; padding: .35em 1em; cursor: pointer; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
pre { background: #f6f7f9; border: 1px solid var(--line); padding: .6em; overflow: auto; max-height: 30em; white-space: pre-wrap; word-break: break-all; }
code, pre, .hex { font-family: ui-monospace, monospace; font-size: .9em; }
details { margin: .2em 0; }
summary { cursor: pointer; }
.banner { padding: .6em 1em; border: 2px solid #8a4b00; background: #fff0d6; }
.meaning { color: var(--muted); }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(28em, 1fr)); gap: 1em; }
img.chart { max-width: 100%; height: auto; border: 1px solid var(--line); }
`;

export const SITE_JS =
  `// The static export's script. A static host ignores query strings and cannot read one cell out
// of a run's evidence file, so this does in the browser what the live server does on the server:
// it follows \`?run=\` and the compare form to their pre-rendered pages, and puts a cell's
// evidence (a gzipped HTML fragment beside the page) in place. Without it the pages still work;
// only the evidence stays a download.
(() => {
  const q = new URLSearchParams(location.search);
  const root = document.documentElement.dataset.root || "./";
  const ok = (v) => /^[A-Za-z0-9._@+-]{1,128}$/.test(v) && !v.includes("..");
  const run = q.get("run");
  if (run && ok(run)) return location.replace(root + "runs/" + run + "/");
  const impl = q.get("impl");
  if (impl && ok(impl) && document.body.dataset.page === "summary") {
    return location.replace(root + "impl/" + impl + "/");
  }
  const from = q.get("from"), to = q.get("to");
  if (document.body.dataset.page === "diff-form" && from && to && ok(from) && ok(to)) {
    return location.replace(root + "diff/" + from + "/" + to + "/");
  }
  const slot = document.querySelector("#evidence[data-src]");
  if (!slot) return;
  fetch(slot.dataset.src).then(async (res) => {
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // A host may already have undone the gzip (Content-Encoding): then it is the HTML itself.
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const html = gzipped
      ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
      : new TextDecoder().decode(bytes);
    const doc = new DOMParser().parseFromString(html, "text/html");
    slot.replaceChildren(...[...doc.body.childNodes].map((n) => document.importNode(n, true)));
  }).catch((e) => {
    const p = document.createElement("p");
    p.className = "banner";
    p.textContent = "The evidence could not be loaded (" + e.message + ").";
    slot.append(p);
  });
})();
`;
