// `deno task impl check FILE`: is this implementation ready for the matrix? It checks the manifest
// field by field, builds (or finds) the image, reads the version the way a run will, and runs a
// smoke set through the real cell engine: a classic, a hybrid and a pure ML-KEM handshake (where
// the manifest claims them) against the reference peer and OpenSSL, in both roles. It prints what
// passed and, for the rest, what to fix. Exit codes: 0 ready, 1 a smoke cell did not pass, 2 the
// manifest or the image is unusable.

import { FlagError, type FlagTable, parseFlags, usageLines } from "../cli/flags.ts";
import { implementationsWith, ManifestError } from "../peers/index.ts";
import type { Implementation } from "../peers/implementation.ts";
import { loadManifest } from "../peers/manifest.ts";
import { cellId } from "../report/schema.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { closeAllSandboxes, imageFor, openSandbox } from "../runtime/sandbox.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import { PURE_MLKEM_GROUPS } from "../tls/names.ts";
import { SUITES } from "../../suites/index.ts";
import { planCells, planInfo } from "./plan.ts";
import { silentProgress } from "./progress.ts";
import { runMatrix } from "./run.ts";

const FLAGS = {
  help: { kind: "switch", help: "show this help" },
} as const satisfies FlagTable;

const USAGE = ["usage: deno task impl check MANIFEST.json", "", ...usageLines(FLAGS)].join("\n");

/** The partners every new implementation is checked against. */
const PARTNERS = ["ts", "openssl"];

export async function main(argv: string[], print = (l: string) => console.log(l)): Promise<number> {
  let file: string;
  try {
    const { values, positionals } = parseFlags(FLAGS, argv);
    if (values.help) {
      print(USAGE);
      return 0;
    }
    if (positionals[0] !== "check" || positionals.length !== 2) {
      throw new FlagError(`expected "check MANIFEST.json"`);
    }
    file = positionals[1];
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    print(`impl: ${e.message}`);
    print(USAGE);
    return 2;
  }

  // 1. The manifest, against the built-in ids (its own id may already be one of them when the
  //    file is a built-in manifest: then it is checked as itself).
  let impl: Implementation;
  let all: Implementation[];
  try {
    all = await implementationsWith();
    const builtIn = all.find((i) => i.manifest && i.manifest.path === Deno.realPathSync(file));
    const taken = all.filter((i) => i !== builtIn).map((i) => i.id);
    impl = await loadManifest(file, taken);
    all = [...all.filter((i) => i !== builtIn), impl];
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    for (const line of e.problems) print(line);
    print(`impl: fix the manifest (docs/manifest.md) and check again`);
    return 2;
  }
  print(`manifest ${file}: ok (id ${impl.id}, "${impl.name}")`);

  // 2. The image, and the version a report will show.
  try {
    const image = await imageFor(impl, (line) => print(`  ${line}`));
    print(
      `image: ${image?.tag} ${
        image?.built ? `built in ${Math.round(image.ms / 1000)} s` : "found"
      }`,
    );
    await Deno.mkdir(`${CACHE_DIR}/pki`, { recursive: true });
    const sandbox = await openSandbox(impl, { mounts: [`${CACHE_DIR}/pki`] });
    const provenance = await sandbox.provenance();
    print(`version: ${provenance.version}`);
  } catch (e) {
    print(`impl: the image is not usable: ${(e as Error).message.split("\n")[0]}`);
    return 2;
  } finally {
    await closeAllSandboxes();
  }

  // 3. The smoke set, through the same engine as a run.
  const pure = PURE_MLKEM_GROUPS.find((g) => impl.capabilities.groups[g] === true);
  const cases = ["classic/x25519", "hybrid/X25519MLKEM768", ...(pure ? [`pure/${pure}`] : [])];
  const partners = PARTNERS.filter((p) => p !== impl.id);
  const cells = planCells(SUITES, all, {
    cases,
    impls: [impl.id, ...partners],
  }).filter((c) => (c.client === impl) !== (c.server === impl));
  // The smoke run's report is kept, like any run's, so its evidence can be read afterwards.
  const dir = `${CACHE_DIR}/impl-check`;
  {
    const id = newRunId();
    const store = new RunStore(`${dir}/${id}.json`, {
      id,
      command: ["deno task impl check", file],
      commit: null,
      plan: await planInfo(cells),
      cases: Object.fromEntries(
        cells.map((
          c,
        ) => [c.case.id, { suite: c.case.suite, title: c.case.title, expected: c.case.expect }]),
      ),
    });
    const report = await runMatrix({ cells, store, progress: silentProgress });
    let bad = 0;
    for (const r of report.results) {
      const mark = r.outcome === "pass" ? "✓" : r.outcome === "unsupported" ? "·" : "✗";
      print(`${mark} ${cellId(r).padEnd(48)} ${r.outcome}`);
      if (r.outcome !== "pass" && r.outcome !== "unsupported") {
        bad++;
        print(`    to fix: ${r.reason}`);
      } else if (r.outcome === "unsupported") {
        print(`    ${r.reason}`);
      }
    }
    print(
      bad
        ? `impl: ${bad} smoke cell(s) did not pass; their evidence: deno task serve --reports ${dir}`
        : `impl: ${impl.id} is ready: add it with deno task interop --impl-file ${file}`,
    );
    return bad ? 1 : 0;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
