// The matrix filters: one implementation (on either side), one suite, one outcome. They come from
// a GET form, so every filtered view is a permalink (`/?impl=openssl&outcome=fail`).

import type { Result } from "../report/schema.ts";

export interface Filter {
  impl: string | null;
  suite: string | null;
  outcome: string | null;
}

export const NO_FILTER: Filter = { impl: null, suite: null, outcome: null };

const VALUE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * An empty value means "no filter" (a form submits an unchosen select as `impl=`); a value that
 * no implementation, suite or outcome could have makes the whole filter invalid (null → 400).
 */
export function parseFilter(q: Record<string, string | undefined>): Filter | null {
  const f: Filter = { ...NO_FILTER };
  for (const k of ["impl", "suite", "outcome"] as const) {
    const v = q[k];
    if (v === undefined || v === "") continue;
    if (!VALUE.test(v)) return null;
    f[k] = v;
  }
  return f;
}

export const matches = (f: Filter, r: Result): boolean =>
  (f.impl === null || r.client === f.impl || r.server === f.impl) &&
  (f.suite === null || r.suite === f.suite) &&
  (f.outcome === null || r.outcome === f.outcome);

export const isFiltered = (f: Filter): boolean =>
  f.impl !== null || f.suite !== null || f.outcome !== null;

/** The query string for a filter, without empty parameters ("" when unfiltered). */
export function filterQuery(f: Filter): string {
  const q = new URLSearchParams();
  for (const k of ["impl", "suite", "outcome"] as const) if (f[k]) q.set(k, f[k]!);
  const s = q.toString();
  return s ? `?${s}` : "";
}
