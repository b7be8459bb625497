// The registry: every implementation the matrix knows, in the order rows and columns appear.
// Built-in implementations are a few TypeScript adapters (for tools that cannot speak the peer
// contract) and every manifest under containers/ (containers/<dir>/impl*.json); a run adds its own
// manifests with --impl-file.

import { CONTAINERS_DIR } from "../runtime/paths.ts";
import type { Implementation } from "./implementation.ts";
import { loadManifest, ManifestError } from "./manifest.ts";
import { ts } from "./ts.ts";

export { ManifestError };

/**
 * The implementations written in TypeScript: only the reference peer, which runs in-process. Every
 * library is a manifest; a tool that cannot speak the peer contract would get an adapter here.
 */
export const ADAPTERS: Implementation[] = [ts];

/** The order rows and columns appear in; others (versions, --impl-file) follow, by id. */
const ORDER = [
  "ts",
  "openssl",
  "boringssl",
  "rustls",
  "wolfssl",
  "go",
  "java",
  "erlang",
  "nss",
  "botan",
  "chromium",
];
const rank = (id: string) => {
  const at = ORDER.indexOf(id.split("@")[0]);
  return at < 0 ? ORDER.length : at;
};

/** The manifests that ship with the project, in a stable order. */
export async function builtInManifests(): Promise<string[]> {
  const files: string[] = [];
  for await (const dir of Deno.readDir(CONTAINERS_DIR)) {
    if (!dir.isDirectory) continue;
    for await (const f of Deno.readDir(`${CONTAINERS_DIR}/${dir.name}`)) {
      if (f.isFile && /^impl(-[^/]+)?\.json$/.test(f.name)) {
        files.push(`${CONTAINERS_DIR}/${dir.name}/${f.name}`);
      }
    }
  }
  return files.sort();
}

/**
 * Every built-in implementation, plus those the given manifests describe. Problems in any
 * manifest are collected and thrown together (ManifestError), one line each.
 */
export async function implementationsWith(
  extraManifests: string[] = [],
): Promise<Implementation[]> {
  const out = [...ADAPTERS];
  const problems: string[] = [];
  for (const file of [...await builtInManifests(), ...extraManifests]) {
    try {
      // Ids in matrix order, so a clash names them as the matrix shows them.
      out.push(await loadManifest(file, inMatrixOrder(out).map((i) => i.id)));
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return inMatrixOrder(out);
}

/** A library's versions sit beside it (openssl, openssl@3.6); its default version first. */
function inMatrixOrder(impls: Implementation[]): Implementation[] {
  return [...impls].sort((a, b) =>
    rank(a.id) - rank(b.id) || Number(a.id.includes("@")) - Number(b.id.includes("@")) ||
    a.id.localeCompare(b.id)
  );
}

/** The built-in implementations (the matrix without --impl-file). */
export const IMPLEMENTATIONS: Implementation[] = await implementationsWith();

export function implementation(id: string): Implementation | undefined {
  return IMPLEMENTATIONS.find((i) => i.id === id);
}
