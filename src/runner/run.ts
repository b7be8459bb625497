// A matrix run: bring up what the cells need (engine, images, PKI, one sandbox per
// implementation), run the cells in parallel with collision-free ports, record each result as it
// lands, and close everything. `deno task interop`, the bench and the tests all go through here.

import { type CellOutcome, harnessError, runCell, type SandboxRepair } from "./cell.ts";
import { type Cell, implementationsUsed } from "./plan.ts";
import { type Progress, silentProgress } from "./progress.ts";
import type { Provenance } from "../contract/provenance.ts";
import type { Implementation } from "../peers/implementation.ts";
import type { PkiPaths } from "../pki/layout.ts";
import { ensurePki } from "../pki/pki.ts";
import { type Expected, expectsPass, regressions } from "../report/expected.ts";
import type { Report, Result } from "../report/schema.ts";
import type { RunStore } from "../report/store.ts";
import { ensureEngine } from "../runtime/engine.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import {
  containerLibrary,
  imageFor,
  openSandbox,
  type PeerProcess,
  type Sandbox,
} from "../runtime/sandbox.ts";

export interface RunOptions {
  cells: Cell[];
  /** Where results go as they land (see RunStore). */
  store: RunStore;
  /** Cells at once. */
  jobs?: number;
  /** Per-cell deadline. Default 20 s. */
  timeoutMs?: number;
  /** The committed expectations, for regressions. */
  expected?: Expected;
  /** Abort = interrupted: no new cell starts, cells in flight are left out of the report. */
  signal?: AbortSignal;
  progress?: Progress;
  /** The PKI directory (absolute). Default .cache/pki in the repository. */
  pkiRoot?: string;
  /** For the bench: a fresh sandbox per cell instead of one per implementation per run. */
  sandboxPerCell?: boolean;
}

/**
 * Cells at once. The reference peer runs in-process and the library programs start in
 * milliseconds, so a cell mostly waits on its programs: more cells than cores keep both cores busy
 * (measured with `deno task bench:matrix --jobs N`).
 */
export const DEFAULT_JOBS = 6;
export const DEFAULT_TIMEOUT_MS = 20_000;

export async function runMatrix(opts: RunOptions): Promise<Report> {
  const { cells, store } = opts;
  const progress = opts.progress ?? silentProgress;
  const signal = opts.signal ?? new AbortController().signal;
  const runnable = cells.filter((c) => !c.unsupported);
  progress.planned(cells.length, runnable.length);
  store.setOrder(cells.map((c) => c.id));
  await store.open();

  // Unsupported cells are settled by the plan alone; record them before anything can fail.
  for (const c of cells.filter((c) => c.unsupported)) await store.add(unsupportedResult(c), null);

  const scratchRoot = `${CACHE_DIR}/scratch/${store.report.id}`;
  let setup: Setup | null = null;
  try {
    setup = await bringUp(implementationsUsed(cells), opts, scratchRoot, progress);
  } catch (e) {
    // Without a PKI or scratch space no cell can run: each says so, and the report is written.
    for (const cell of runnable) await store.add(bringUpFailed(cell, e as Error), null);
  }
  try {
    if (setup) {
      await runAll(runnable, setup, opts, signal, progress);
      await setup.provenance?.();
    }
  } finally {
    // Sandboxes as they are now (a reopened one replaced its dead predecessor).
    const opened = [...(setup?.sandboxes.values() ?? [])].filter((s) => !(s instanceof Error));
    await Promise.allSettled(opened.map((s) => (s as Sandbox).close()));
    await Deno.remove(scratchRoot, { recursive: true }).catch(() => {});
    progress.end();
  }
  const regressed = opts.expected ? regressions(opts.expected, store.report.results) : [];
  await store.finish({
    regressions: regressed,
    interrupted: signal.aborted ? String(signal.reason ?? "interrupted") : undefined,
  });
  return store.report;
}

async function runAll(
  cells: Cell[],
  setup: Setup,
  opts: RunOptions,
  signal: AbortSignal,
  progress: Progress,
): Promise<void> {
  const env = {
    ...setup,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal,
    // Without expectations every fail is retried (the cell engine's default).
    retryFail: opts.expected ? expectsPass(opts.expected) : undefined,
  };
  // Programs of cells in flight, so an interrupt can end them at once: closing a container ends
  // its programs, but the in-process reference peer would go on until its own deadline.
  const live = new Set<PeerProcess>();
  const stopLive = () => live.forEach((p) => p.kill().catch(() => {}));
  signal.addEventListener("abort", stopLive, { once: true });
  // The repairer replaces the shared sandboxes; a cell with its own has nothing to repair there.
  const sandboxRepair = opts.sandboxPerCell ? undefined : repairer(setup, opts);
  const one = async (cell: Cell) => {
    await setup.opening?.get(cell.client.id);
    await setup.opening?.get(cell.server.id);
    const run = (sandboxes: Setup["sandboxes"]) =>
      runCell(cell, { ...env, sandboxes: tracking(sandboxes, live), sandboxRepair });
    return opts.sandboxPerCell ? withOwnSandboxes(cell, setup, run) : run(setup.sandboxes);
  };
  await pool(cells, opts.jobs ?? DEFAULT_JOBS, signal, async (cell) => {
    progress.started(cell);
    // Whatever goes wrong outside the programs is that cell's harness error, not the run's end.
    const { result, evidence } = await one(cell).catch((e) =>
      harnessError(cell, "the runner", e, performance.now())
    );
    if (signal.aborted) return; // in flight when interrupted: not a finished cell
    const written = performance.now();
    const recorded = await opts.store.add(result, evidence);
    const phases = recorded.durations.phases;
    if (phases) phases.writeMs = Math.round((performance.now() - written) * 10) / 10;
    progress.finished(cell, recorded);
  });
  signal.removeEventListener("abort", stopLive);
}

/**
 * A sandbox that broke under the run (its container killed from outside, its launcher dead) is
 * replaced, so one accident does not turn the rest of the run into errors. Cells that saw the
 * same breakage share one replacement; a sandbox already replaced is left alone.
 */
function repairer(setup: Setup, opts: RunOptions): SandboxRepair {
  const impls = new Map(implementationsUsed(opts.cells).map((i) => [i.id, i]));
  const inFlight = new Map<string, Promise<void>>();
  return {
    replace(impl: string): Promise<void> {
      const current = setup.sandboxes.get(impl);
      if (current && !(current instanceof Error) && current.broken() === null) {
        return Promise.resolve();
      }
      let p = inFlight.get(impl);
      if (!p) {
        p = (async () => {
          if (current && !(current instanceof Error)) await current.close().catch(() => {});
          const fresh = await openSandbox(impls.get(impl)!, {
            mounts: [setup.pkiRoot, setup.scratchRoot],
          }).catch((e) => new Error(`sandbox ${impl} (reopened): ${(e as Error).message}`));
          setup.sandboxes.set(impl, fresh);
        })().finally(() => inFlight.delete(impl));
        inFlight.set(impl, p);
      }
      return p;
    },
  };
}

/**
 * The same sandboxes, looked up when a program starts (so a reopened one is used at once), and
 * every process they start is in `live` until the cell is over.
 */
function tracking(sandboxes: Setup["sandboxes"], live: Set<PeerProcess>): Setup["sandboxes"] {
  const out: Setup["sandboxes"] = new Map();
  for (const [id, box] of sandboxes) {
    if (box instanceof Error) {
      out.set(id, box);
      continue;
    }
    const current = () => {
      const now = sandboxes.get(id);
      return now && !(now instanceof Error) ? now : box;
    };
    out.set(id, {
      ...box,
      broken: () => current().broken(),
      spawn(spec) {
        const p = current().spawn(spec);
        live.add(p);
        const wait = p.wait.bind(p);
        // Once waited for (the end of its part in the cell), it is no longer in flight.
        return {
          ready: p.ready.bind(p),
          kill: p.kill.bind(p),
          wait: (ms: number) => wait(ms).finally(() => live.delete(p)),
        };
      },
    });
  }
  return out;
}

function unsupportedResult(cell: Cell): Omit<Result, "evidence"> {
  return {
    case: cell.case.id,
    suite: cell.case.suite,
    client: cell.client.id,
    server: cell.server.id,
    outcome: "unsupported",
    reason: `Unsupported: ${cell.unsupported}.`,
    observed: null,
    durations: { totalMs: 0, handshakeMs: null },
    attempts: 0,
  };
}

function bringUpFailed(cell: Cell, e: Error): Omit<Result, "evidence"> {
  return {
    ...unsupportedResult(cell),
    outcome: "error",
    reason: `Harness error in bring-up (PKI or scratch directory): ${e.message.split("\n")[0]}.`,
  };
}

interface Setup {
  sandboxes: Map<string, Sandbox | Error>;
  pki: PkiPaths;
  pkiRoot: string;
  scratchRoot: string;
  /** Each implementation's sandbox, settled once it is open (or failed to open). */
  opening?: Map<string, Promise<void>>;
  /** Resolves once every open sandbox's provenance is recorded. */
  provenance?: () => Promise<void>;
}

/**
 * Engine, images (one at a time: builds are CPU-bound), PKI, then one sandbox per
 * implementation. A part that fails becomes a harness error on the cells that need it.
 */
async function bringUp(
  impls: Implementation[],
  opts: RunOptions,
  scratchRoot: string,
  progress: Progress,
): Promise<Setup> {
  const sandboxes = new Map<string, Sandbox | Error>();
  const pkiRoot = opts.pkiRoot ?? `${CACHE_DIR}/pki`;
  await Deno.mkdir(scratchRoot, { recursive: true });
  const pki = await ensurePki(pkiRoot);

  const containers = impls.filter((i) => i.placement.kind !== "in-process");
  if (containers.length) containerLibrary().catch(() => {});
  let engine: Error | null = null;
  if (containers.length) {
    progress.line("container engine: checking");
    engine = await ensureEngine().then(() => null, (e) => e as Error);
    if (engine) progress.line(`container engine: ${engine.message}`);
  }
  for (const impl of containers) {
    if (engine) {
      sandboxes.set(impl.id, new Error(`container engine: ${engine.message}`));
      continue;
    }
    try {
      const info = await imageFor(impl, (line) => progress.line(line));
      if (info?.built) await opts.store.markCold();
      progress.line(
        `image ${impl.id}: ${info?.tag} ${
          info?.built ? `built in ${Math.round(info.ms / 1000)} s` : "ready"
        }`,
      );
    } catch (e) {
      sandboxes.set(impl.id, new Error(`image for ${impl.id}: ${(e as Error).message}`));
      progress.line(`image ${impl.id}: FAILED (${(e as Error).message.split("\n")[0]})`);
    }
  }
  if (opts.sandboxPerCell) return { sandboxes, pki, pkiRoot, scratchRoot };

  // Sandboxes open side by side, and a cell starts as soon as its own two are open (the reference
  // peer's at once); what each says about itself is read meanwhile and recorded before the end.
  const opening = new Map<string, Promise<void>>();
  const described: Promise<void>[] = [];
  for (const impl of impls.filter((i) => !sandboxes.has(i.id))) {
    opening.set(
      impl.id,
      openSandbox(impl, { mounts: [pkiRoot, scratchRoot] }).then((sandbox) => {
        sandboxes.set(impl.id, sandbox);
        // A sandbox that says nothing about itself still runs; the gap stays visible.
        described.push(
          sandbox.provenance().catch((e) => unknownProvenance(impl, e))
            .then((p) => opts.store.setProvenance(impl.id, p)),
        );
      }, (e) => {
        sandboxes.set(impl.id, new Error(`sandbox ${impl.id}: ${(e as Error).message}`));
      }),
    );
  }
  const provenance = async () => {
    await Promise.all(opening.values());
    await Promise.all(described);
  };
  return { sandboxes, pki, pkiRoot, scratchRoot, opening, provenance };
}

function unknownProvenance(impl: Implementation, e: Error): Provenance {
  return {
    id: impl.id,
    name: impl.name,
    version: "unknown",
    build: `provenance unavailable: ${e.message.split("\n")[0]}`,
    packages: {},
    image: null,
  };
}

/** The bench's comparison mode: open the cell's sandboxes, run it, close them. */
async function withOwnSandboxes(
  cell: Cell,
  { scratchRoot, pkiRoot }: Setup,
  run: (sandboxes: Map<string, Sandbox | Error>) => Promise<CellOutcome>,
): Promise<CellOutcome> {
  const sandboxes = new Map<string, Sandbox | Error>();
  const impls = cell.client.id === cell.server.id ? [cell.client] : [cell.client, cell.server];
  try {
    for (const impl of impls) {
      sandboxes.set(
        impl.id,
        await openSandbox(impl, { mounts: [pkiRoot, scratchRoot] }).catch((e) => e as Error),
      );
    }
    return await run(sandboxes);
  } finally {
    for (const s of sandboxes.values()) if (!(s instanceof Error)) await s.close();
  }
}

/** Runs `work` over `items`, `jobs` at a time; stops taking new items once aborted. */
async function pool<T>(
  items: T[],
  jobs: number,
  signal: AbortSignal,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const worker = async () => {
    while (queue.length && !signal.aborted) await work(queue.shift()!);
  };
  // On abort, do not wait for cells in flight: closing the sandboxes ends them.
  await Promise.race([
    Promise.all(Array.from({ length: Math.max(1, jobs) }, worker)),
    aborted,
  ]);
}
