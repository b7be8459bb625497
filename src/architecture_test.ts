// The architecture as a test: the folders are layers, and code imports only from its own layer
// or one below (docs/architecture.md names the order). Test helpers live in src/testing/, above
// everything, and only tests use them. No file grows past 700 lines without a reason named here.

import assert from "node:assert/strict";

/** Lowest first. A folder may import from itself and from the folders before it. */
export const LAYERS = [
  "src/cli",
  "src/tls",
  "src/pki",
  "src/contract",
  "src/adversary",
  "src/refpeer",
  "src/runtime",
  "src/wire",
  "src/peers",
  "src/report",
  "suites",
  "src/judge",
  "src/runner",
  "src/web",
] as const;

/** Only tests (`*_test.ts`) may import from here, and it may import from anything. */
const TEST_HELPERS = "src/testing";

/** Files allowed past 700 lines, each with why. */
const LONG_FILES: Record<string, string> = {
  "src/tls/client.ts":
    "the client state machine, one method per handshake step in protocol order (as Go's " +
    "handshake_client_tls13.go): its steps share one state object, and cutting it would spread " +
    "one handshake over files",
};

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "testdata") out.push(...await sourceFiles(path));
    else if (e.isFile && /\.tsx?$/.test(e.name)) out.push(path);
  }
  return out;
}

/** Tests and benchmarks: they may use the test helpers. */
const isTest = (path: string) => /_(test|bench)\.tsx?$/.test(path);
const folderOf = (path: string) =>
  [...LAYERS, TEST_HELPERS].find((f) => path === f || path.startsWith(`${f}/`)) ?? null;

/** Every relative import of a file, resolved to a path from the repository root. */
async function importsOf(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${ROOT}/${path}`);
  const dir = path.slice(0, path.lastIndexOf("/"));
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const parts = `${dir}/${m[1]}`.split("/");
    const resolved: string[] = [];
    for (const p of parts) {
      if (p === "..") resolved.pop();
      else if (p !== ".") resolved.push(p);
    }
    out.push(resolved.join("/"));
  }
  return out;
}

const all = [...await sourceFiles("src"), ...await sourceFiles("suites")];

Deno.test("architecture: every source folder is a layer", () => {
  const folders = new Set(
    all.map((f) => f.split("/").slice(0, f.startsWith("src/") ? 2 : 1).join("/")),
  );
  for (const f of folders) {
    if (f === "src/architecture_test.ts") continue;
    assert.ok(
      folderOf(f) !== null,
      `${f} is in no layer: add it to LAYERS and docs/architecture.md`,
    );
  }
});

Deno.test("architecture: code imports only downward, and only tests use src/testing", async () => {
  const upward: string[] = [];
  for (const file of all.filter((f) => !isTest(f))) {
    const from = folderOf(file);
    if (from === null) continue;
    for (const target of await importsOf(file)) {
      const to = folderOf(target);
      if (to === null || to === from) continue;
      if (to === TEST_HELPERS && from !== TEST_HELPERS) {
        upward.push(`${file} imports the test helper ${target}`);
        continue;
      }
      if (from === TEST_HELPERS) continue;
      const rank = (f: string) => LAYERS.indexOf(f as typeof LAYERS[number]);
      if (rank(to) > rank(from)) {
        upward.push(`${file} (${from}) imports ${target} (${to}), a layer above`);
      }
    }
  }
  assert.deepEqual(upward, []);
});

Deno.test("architecture: docs/architecture.md lists the layers in this order", async () => {
  const doc = await Deno.readTextFile(`${ROOT}/docs/architecture.md`);
  const listed = [...doc.matchAll(/^\|\s*\d+\s*\|\s*`([^`]+)\/`\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual(listed, [...LAYERS]);
});

Deno.test("architecture: no file over 700 lines without a named reason", async () => {
  const long: string[] = [];
  for (const file of all.filter((f) => !isTest(f))) {
    const lines = (await Deno.readTextFile(`${ROOT}/${file}`)).split("\n").length;
    if (lines > 700 && !LONG_FILES[file]) long.push(`${file}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});
