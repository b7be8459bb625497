// Counting outcomes: per pair, per suite, per pair and suite. Every summary on the pages is a
// tally of some slice of a run, and its colour (`grade`) is read off the tally, never guessed.

import { type Outcome, OUTCOMES, type Result } from "../report/schema.ts";

export type Tally = Record<Outcome, number> & { total: number };

export const emptyTally = (): Tally =>
  ({ ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])), total: 0 }) as Tally;

export function tallyOf(results: Iterable<Result>): Tally {
  const t = emptyTally();
  for (const r of results) {
    t[r.outcome]++;
    t.total++;
  }
  return t;
}

/** One tally per key, in the order the keys first appear. */
export function tallyBy<K>(results: Iterable<Result>, key: (r: Result) => K): Map<K, Tally> {
  const out = new Map<K, Tally>();
  for (const r of results) {
    const k = key(r);
    let t = out.get(k);
    if (!t) out.set(k, t = emptyTally());
    t[r.outcome]++;
    t.total++;
  }
  return out;
}

/** Cells that ran: everything but the ones the plan marked unsupported. */
export const ran = (t: Tally): number => t.total - t.unsupported;

/**
 * How a slice did, for its colour: every cell that ran passed, nearly all (≥ 90 %), some, none;
 * or nothing could run (all unsupported), or there are no cells at all. Flaky is not a pass.
 */
export type Grade = "all" | "most" | "some" | "none" | "unsupported" | "empty";

export function grade(t: Tally): Grade {
  if (t.total === 0) return "empty";
  const n = ran(t);
  if (n === 0) return "unsupported";
  if (t.pass === n) return "all";
  if (t.pass >= 0.9 * n) return "most";
  return t.pass > 0 ? "some" : "none";
}

export const GRADE_TEXT: Record<Grade, string> = {
  all: "every cell that ran passed",
  most: "at least 90 % passed",
  some: "some passed",
  none: "none passed",
  unsupported: "nothing could run (all unsupported)",
  empty: "no cells",
};
