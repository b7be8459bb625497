// A shields-style SVG badge: "<impl> | <pass>/<total> pass". Plain text widths are estimated
// (about 6.5 px per character at 11 px) since there is no font metrics table on the server.

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function badgeSvg(label: string, pass: number, total: number): string {
  const message = total === 0 ? "no cells" : `${pass}/${total} pass`;
  // Dark enough for white text at 4.5:1 whatever the ratio.
  const colour = total > 0 && pass === total ? "#146c2e" : pass === 0 ? "#a4161a" : "#8a4b00";
  const w = (s: string) => Math.round(s.length * 6.5) + 12;
  const lw = w(label);
  const mw = w(message);
  const text = `${label}: ${message}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + mw}" height="20" role="img" ` +
    `aria-label="${esc(text)}"><title>${esc(text)}</title>` +
    `<rect width="${lw}" height="20" fill="#3d3d3d"/>` +
    `<rect x="${lw}" width="${mw}" height="20" fill="${colour}"/>` +
    `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">` +
    `<text x="${lw / 2}" y="14">${esc(label)}</text>` +
    `<text x="${lw + mw / 2}" y="14">${esc(message)}</text></g></svg>`;
}
