// How a result is named in URLs and shown in a grid cell. A cell id (`suite/name@client->server`)
// holds `/` and `>`, which do not survive as one path segment or a file name on a static host,
// so pages use a slug: the same text with `/`, `@` and `->` spelled as `~`.

import { cellId, type Outcome, type Report, type Result } from "../report/schema.ts";

export const cellSlug = (r: Pick<Result, "case" | "client" | "server">): string =>
  `${r.case.replaceAll("/", "~")}~${r.client}~${r.server}`;

/** Each report's results by slug and by plain cell id, built once: the store keeps the object. */
const byKey = new WeakMap<Report, Map<string, Result>>();

/** The result a slug or a plain cell id names, or null. */
export function findCell(report: Report, key: string): Result | null {
  let index = byKey.get(report);
  if (!index) {
    index = new Map();
    for (const r of report.results) {
      for (const k of [cellSlug(r), cellId(r)]) if (!index.has(k)) index.set(k, r);
    }
    byKey.set(report, index);
  }
  return index.get(key) ?? null;
}

/**
 * Outcomes are told by a symbol and a word, never by colour alone. The symbols are in fonts every
 * system has (no emoji), so none turns into an empty box.
 */
export const OUTCOME_LABEL: Record<Outcome, { symbol: string; word: string }> = {
  pass: { symbol: "✓", word: "pass" },
  fail: { symbol: "✗", word: "fail" },
  unverified: { symbol: "?", word: "unverified" },
  unsupported: { symbol: "–", word: "unsupported" },
  error: { symbol: "!", word: "error" },
  timeout: { symbol: "◷", word: "timeout" },
  flaky: { symbol: "~", word: "flaky" },
};
