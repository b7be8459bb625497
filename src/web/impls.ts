// Implementation ids and their order on the pages. An id is a library, optionally with a version
// (`openssl`, `openssl@3.6`); the versions of one library always sit next to each other, so a
// reader compares two releases by looking at neighbouring rows and columns.

import type { Report } from "../report/schema.ts";

export const libraryOf = (id: string): string => id.split("@")[0];
export const versionOf = (id: string): string | null => id.split("@")[1] ?? null;

/**
 * Every implementation in a report: libraries in the order they first appear (provenance, then
 * results), each library's versions together in their own order of appearance.
 */
export function implOrder(report: Report): string[] {
  const seen = [
    ...new Set([
      ...Object.keys(report.implementations),
      ...report.results.flatMap((r) => [r.client, r.server]),
    ]),
  ];
  const libraries = [...new Set(seen.map(libraryOf))];
  return libraries.flatMap((lib) => seen.filter((id) => libraryOf(id) === lib));
}

/** Libraries with more than one version in the run, each with its versions in order. */
export function versionedLibraries(order: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of order) {
    const lib = libraryOf(id);
    out.set(lib, [...(out.get(lib) ?? []), id]);
  }
  for (const [lib, ids] of out) if (ids.length < 2) out.delete(lib);
  return out;
}

/**
 * What tells the versions of one library apart in a grid's header: the id's own version, else
 * the release number the build reported (`OpenSSL 3.5.9 …` → 3.5.9), else "default".
 */
export function versionLabel(id: string, reported?: string): string {
  return versionOf(id) ?? reported?.match(/\d+\.\d+(?:\.\d+)?/)?.[0] ?? "default";
}
