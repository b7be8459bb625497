// What the pages ask of a run, worked out once per report: the implementations in page order, the
// suites, and the tallies and cells per pair, per suite and per pair within a suite. Reports are
// immutable objects held by the store, so the index is kept beside each one for as long as it is.

import type { Report, Result } from "../report/schema.ts";
import { implOrder } from "./impls.ts";

/** The suite whose cells judge one library against the misbehaving reference peer. */
export const CONFORMANCE_SUITE = "conformance";
import { type Tally, tallyBy, tallyOf } from "./tally.ts";

export interface RunIndex {
  impls: string[];
  /** Implementations that played each role, in page order. */
  clients: string[];
  servers: string[];
  /** Suites in plan order. */
  suites: string[];
  total: Tally;
  byPair: Map<string, Tally>;
  /**
   * Per pair, the interop suites only: whether two libraries work together. Conformance cells
   * (the reference peer misbehaving on purpose) are a finding about one library, not the pair.
   */
  interopByPair: Map<string, Tally>;
  bySuite: Map<string, Tally>;
  bySuitePair: Map<string, Tally>;
  /** The cells of one suite for one pair, in plan order. */
  cells: Map<string, Result[]>;
  /** Case ids per suite, in plan order. */
  cases: Map<string, string[]>;
}

/** A pair as one URL segment and map key: ids never hold `~`. */
export const pairKey = (client: string, server: string): string => `${client}~${server}`;

export function parsePair(segment: string): { client: string; server: string } | null {
  const [client, server, ...rest] = segment.split("~");
  return client && server && rest.length === 0 ? { client, server } : null;
}

/** A pair within a suite, as a map key (`pair` is a pairKey). */
export const suitePairKey = (suite: string, pair: string): string => `${suite} ${pair}`;

const indexes = new WeakMap<Report, RunIndex>();

export function indexOf(report: Report): RunIndex {
  let index = indexes.get(report);
  if (!index) indexes.set(report, index = build(report));
  return index;
}

function build(report: Report): RunIndex {
  const impls = implOrder(report);
  const played = (pick: (r: Result) => string) => {
    const ids = new Set(report.results.map(pick));
    return impls.filter((id) => ids.has(id));
  };
  const cells = new Map<string, Result[]>();
  const cases = new Map<string, string[]>();
  const caseSeen = new Set<string>();
  for (const r of report.results) {
    const key = suitePairKey(r.suite, pairKey(r.client, r.server));
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key)!.push(r);
    if (!caseSeen.has(r.case)) {
      caseSeen.add(r.case);
      if (!cases.has(r.suite)) cases.set(r.suite, []);
      cases.get(r.suite)!.push(r.case);
    }
  }
  return {
    impls,
    clients: played((r) => r.client),
    servers: played((r) => r.server),
    suites: [...cases.keys()],
    total: tallyOf(report.results),
    byPair: tallyBy(report.results, (r) => pairKey(r.client, r.server)),
    interopByPair: tallyBy(
      report.results.filter((r) => r.suite !== CONFORMANCE_SUITE),
      (r) => pairKey(r.client, r.server),
    ),
    bySuite: tallyBy(report.results, (r) => r.suite),
    bySuitePair: tallyBy(report.results, (r) => suitePairKey(r.suite, pairKey(r.client, r.server))),
    cells,
    cases,
  };
}
