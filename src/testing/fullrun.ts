// Full-size runs for measuring the web (page weight, export size, latency) without running the
// whole matrix: the real plan over the registry's implementations (optionally more, made from
// them), every runnable cell filled with the evidence of a real cell of the same case from a real
// run (the donor), written through RunStore as the runner would. Unsupported cells carry the plan's
// own reason. A few cells (chosen by a hash of the seed and the cell id) are turned into failures,
// so that two runs have something to diff and versions of one library differ. Made for sizes and
// shapes, never for findings: src/web/testdata/README.md says which fixtures are real.
//
//   deno run -A src/testing/fullrun.ts --out DIR [--impls 11] [--runs 2]

import { parseArgs } from "node:util";
import { IMPLEMENTATIONS } from "../peers/index.ts";
import type { Implementation } from "../peers/implementation.ts";
import { readRun, type Run } from "../report/read.ts";
import type { CaseInfo, Result } from "../report/schema.ts";
import { newRunId, RunStore } from "../report/store.ts";
import { type Cell, planCells, planInfo } from "../runner/plan.ts";
import { SUITES } from "../../suites/index.ts";

/** The real run (ts and openssl, every case) that lends its cells' evidence: see its README. */
export const DONOR = new URL("../web/testdata/runs/ts-openssl.json", import.meta.url).pathname;

/** Implementations beyond the registry, for a grid of about eleven: versions and other libraries. */
const EXTRA: [string, string][] = [
  ["openssl@3.6", "openssl"],
  ["rustls@0.24", "rustls"],
  ["wolfssl@5.8", "wolfssl"],
  ["gnutls", "openssl"],
  ["botan", "boringssl"],
  ["s2n", "rustls"],
];

/**
 * `count` implementations: the registry's default ones first (ts, openssl, boringssl, rustls,
 * wolfssl, … in the matrix's order), then its other versions, then made-up ones from EXTRA.
 */
export function implementationsFor(count: number): Implementation[] {
  const registered = [
    ...IMPLEMENTATIONS.filter((i) => i.inDefaultRun),
    ...IMPLEMENTATIONS.filter((i) => !i.inDefaultRun),
  ];
  const fresh = EXTRA.filter(([id]) => !registered.some((i) => i.id === id));
  const extra = fresh.map(([id, from]) => ({
    ...IMPLEMENTATIONS.find((i) => i.id === from)!,
    id,
    name: id,
  }));
  return [...registered, ...extra].slice(0, count);
}

/** A stable number in [0, 1) from text: which cells the seed turns into failures. */
async function fraction(text: string): Promise<number> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  return ((d[0] << 8) | d[1]) / 65536;
}

/** The donor cell for a planned cell: same case, and the TS peer on the same sides if possible. */
function donorFor(donor: Run, cell: Cell): Result | undefined {
  const side = (id: string) => (id === "ts" ? "ts" : "other");
  const same = donor.report.results.filter((r) => r.case === cell.case.id && r.evidence);
  return same.find((r) =>
    side(r.client) === side(cell.client.id) &&
    side(r.server) === side(cell.server.id)
  ) ?? same[0];
}

export interface FullRunOptions {
  donor: Run;
  impls: Implementation[];
  seed: string;
  /** Share of the runnable cells turned into failures (0.03: three in a hundred). */
  failures?: number;
  /** false: results only, no evidence file (quick, for page weights). */
  evidence?: boolean;
}

/** Writes one full run to `path` (report and evidence); returns the report's path. */
export async function writeFullRun(path: string, opts: FullRunOptions): Promise<string> {
  const cells = planCells(SUITES, opts.impls, { impls: ["all"] });
  const cases: Record<string, CaseInfo> = {};
  for (const c of cells) {
    cases[c.case.id] ??= { suite: c.case.suite, title: c.case.title, expected: c.case.expect };
  }
  const store = new RunStore(path, {
    id: newRunId(),
    command: ["deno", "run", "-A", "src/testing/fullrun.ts", `(synthetic, seed ${opts.seed})`],
    commit: null,
    plan: await planInfo(cells),
    cases,
  });
  await store.open();
  store.setOrder(cells.map((c) => c.id));
  const donorImpls = opts.donor.report.implementations;
  for (const impl of opts.impls) {
    const p = donorImpls[impl.id] ?? donorImpls.openssl;
    if (p) await store.setProvenance(impl.id, { ...p, id: impl.id, name: impl.name });
  }
  for (const cell of cells) {
    const base = { case: cell.case.id, suite: cell.case.suite, client: cell.client.id };
    if (cell.unsupported) {
      await store.add({
        ...base,
        server: cell.server.id,
        outcome: "unsupported",
        reason: cell.unsupported,
        observed: null,
        durations: { totalMs: 0, handshakeMs: null },
        attempts: 0,
      }, null);
      continue;
    }
    const from = donorFor(opts.donor, cell);
    if (!from) throw new Error(`fullrun: the donor run has no cell of ${cell.case.id}`);
    const failed = from.outcome === "pass" &&
      await fraction(`${opts.seed} ${cell.id}`) < (opts.failures ?? 0.03);
    const { evidence: _ref, ...result } = from;
    await store.add({
      ...result,
      ...base,
      server: cell.server.id,
      ...(failed
        ? { outcome: "fail", reason: `(synthetic failure) ${from.reason}`, attempts: 2 }
        : {}),
    }, opts.evidence === false ? null : await opts.donor.evidence(from));
  }
  await store.finish();
  return path;
}

/** `runs` runs one after another in `dir` (run-1.json, …), all from the same donor. */
export async function writeFullRuns(
  dir: string,
  { impls = 5, runs = 1, evidence = true }: { impls?: number; runs?: number; evidence?: boolean } =
    {},
): Promise<string[]> {
  const donor = await readRun(DONOR);
  const paths: string[] = [];
  for (let i = 1; i <= runs; i++) {
    paths.push(
      await writeFullRun(`${dir}/run-${i}.json`, {
        donor,
        impls: implementationsFor(impls),
        seed: `run ${i}`,
        evidence,
      }),
    );
  }
  return paths;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      impls: { type: "string", default: "5" },
      runs: { type: "string", default: "1" },
    },
  });
  if (!values.out) {
    console.error("fullrun: --out DIR is required");
    Deno.exit(2);
  }
  const written = await writeFullRuns(values.out, {
    impls: Number(values.impls),
    runs: Number(values.runs),
  });
  for (const p of written) console.log(p);
}
