// A per-run chart of what post-quantum key exchange costs on the wire: handshake bytes in each
// direction and handshake time per group, from the passing cells of the pure, hybrid and classic
// suites (medians over every client × server pair, read from each cell's compact `observed.wire`
// and durations, so no evidence is opened). Server-rendered SVG, no script; the same numbers, with
// first flights and key share sizes, are a table next to it for screen readers.

import type { Report } from "../report/schema.ts";
import { GROUP_NAMES } from "../tls/names.ts";

export const CHART_SUITES = ["pure", "hybrid", "classic"];

export interface GroupCost {
  group: string;
  cells: number;
  clientToServer: number;
  serverToClient: number;
  /** Each side's first flight (ClientHello; ServerHello to Finished), median bytes. */
  firstFlight: { client: number | null; server: number | null };
  /** The key shares of the selected group as the wire saw them, median bytes. */
  share: { client: number | null; server: number | null };
  /** Median handshake time in ms, null when no cell reported one. */
  ms: number | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

type Samples = Record<"cs" | "sc" | "ffc" | "ffs" | "shc" | "shs" | "ms", number[]>;

/** Per group, medians over the passing cells of the chart suites, from the report alone. */
export function groupCosts(report: Report): GroupCost[] {
  const by = new Map<string, Samples>();
  const add = (xs: number[], v: number | null | undefined) => v != null && xs.push(v);
  for (const r of report.results) {
    const wire = r.observed?.wire;
    const group = r.observed?.group;
    if (!CHART_SUITES.includes(r.suite) || r.outcome !== "pass" || !wire || !group) continue;
    let g = by.get(group);
    if (!g) by.set(group, g = { cs: [], sc: [], ffc: [], ffs: [], shc: [], shs: [], ms: [] });
    g.cs.push(wire.bytes.clientToServer);
    g.sc.push(wire.bytes.serverToClient);
    add(g.ffc, wire.firstFlight.client);
    add(g.ffs, wire.firstFlight.server);
    add(g.shc, wire.share.client);
    add(g.shs, wire.share.server);
    add(g.ms, r.durations.handshakeMs);
  }
  const order = (g: string) => {
    const i = GROUP_NAMES.indexOf(g as never);
    return i < 0 ? GROUP_NAMES.length : i;
  };
  return [...by].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b)).map((
    [group, g],
  ) => ({
    group,
    cells: g.cs.length,
    clientToServer: median(g.cs)!,
    serverToClient: median(g.sc)!,
    firstFlight: { client: median(g.ffc), server: median(g.ffs) },
    share: { client: median(g.shc), server: median(g.shs) },
    ms: median(g.ms),
  }));
}

const ROW = 34;
const LABEL = 150;
const BYTES_W = 330;
const MS_X = LABEL + BYTES_W + 90;
const MS_W = 130;
const WIDTH = MS_X + MS_W + 60;

/** Two bars per group (client→server above, server→client below) and one for time. */
export function CostChart({ costs }: { costs: GroupCost[] }) {
  const maxBytes = Math.max(1, ...costs.flatMap((c) => [c.clientToServer, c.serverToClient]));
  const maxMs = Math.max(1, ...costs.map((c) => c.ms ?? 0));
  const height = 40 + costs.length * ROW + 10;
  const bar = (v: number, max: number, w: number) => Math.max(1, Math.round((v / max) * w));
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="img"
      aria-labelledby="chart-title"
      font-family="system-ui, sans-serif"
      font-size="12"
    >
      <title id="chart-title">
        Handshake bytes per direction and median handshake time per key exchange group
      </title>
      <rect width={WIDTH} height={height} fill="#ffffff" />
      <text x={LABEL} y="16" fill="#1a1a1a" font-weight="bold">
        handshake bytes (median)
      </text>
      <text x={LABEL} y="30" fill="#1a1a1a">
        <tspan fill="#1d4f91">■ client → server</tspan>{" "}
        <tspan fill="#8a4b00">■ server → client</tspan>
      </text>
      <text x={MS_X} y="16" fill="#1a1a1a" font-weight="bold">handshake ms (median)</text>
      {costs.map((c, i) => {
        const y = 40 + i * ROW;
        return (
          <g>
            <text x={LABEL - 8} y={y + 19} text-anchor="end" fill="#1a1a1a">{c.group}</text>
            <rect
              x={LABEL}
              y={y + 3}
              width={bar(c.clientToServer, maxBytes, BYTES_W)}
              height="12"
              fill="#1d4f91"
            />
            <text
              x={LABEL + bar(c.clientToServer, maxBytes, BYTES_W) + 4}
              y={y + 13}
              fill="#1a1a1a"
            >
              {c.clientToServer}
            </text>
            <rect
              x={LABEL}
              y={y + 16}
              width={bar(c.serverToClient, maxBytes, BYTES_W)}
              height="12"
              fill="#8a4b00"
            />
            <text
              x={LABEL + bar(c.serverToClient, maxBytes, BYTES_W) + 4}
              y={y + 26}
              fill="#1a1a1a"
            >
              {c.serverToClient}
            </text>
            {c.ms === null ? <text x={MS_X} y={y + 19} fill="#1a1a1a">n/a</text> : (
              <>
                <rect
                  x={MS_X}
                  y={y + 9}
                  width={bar(c.ms, maxMs, MS_W)}
                  height="12"
                  fill="#3d3d3d"
                />
                <text x={MS_X + bar(c.ms, maxMs, MS_W) + 4} y={y + 19} fill="#1a1a1a">
                  {c.ms.toFixed(1)}
                </text>
              </>
            )}
          </g>
        );
      })}
    </svg>
  );
}
