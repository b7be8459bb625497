// One cell, end to end: plan → run → observe → judge → record. The server comes up, the wire tap
// sits between, the client runs; what happened goes to the judge (src/judge/) once, and the
// verdict comes back as the report's Result plus the Evidence kept beside it. A cell that times
// out or errors gets one more attempt, and so does a fail that would be a regression; passing only
// on the retry makes it flaky, never a pass.

import type { Cell } from "./plan.ts";
import { type CellRun, judgeCell, type SideRun } from "../judge/index.ts";
import { finalReport } from "../judge/observe.ts";
import type { PkiPaths } from "../pki/layout.ts";
import { type Evidence, observedOf, type Result } from "../report/schema.ts";
import { boundLog } from "../report/store.ts";
import { freePort } from "../runtime/ports.ts";
import type { Sandbox } from "../runtime/sandbox.ts";
import type { TranscriptEntry } from "../tls/summary.ts";
import { openTap } from "../wire/tap.ts";
import { type PairResult, runPair, type SideResult } from "./pair.ts";

export interface SandboxRepair {
  /** Replaces the implementation's sandbox (once per run; later calls wait for that one). */
  replace(impl: string): Promise<void>;
}

export interface CellEnv {
  /** The sandbox of each implementation, or why it could not be opened (a harness error). */
  sandboxes: Map<string, Sandbox | Error>;
  pki: PkiPaths;
  /** A directory every sandbox mounts; each attempt gets its own subdirectory. */
  scratchRoot: string;
  timeoutMs: number;
  /** Once aborted, no retry is started. */
  signal?: AbortSignal;
  /**
   * Whether a failed cell gets a second attempt (default: every one). The run gives it to cells
   * expected to pass: there a fail is a regression unless chance made it, while retrying a known
   * failure only repeats it (a tenth of a full run's time).
   */
  retryFail?: (cellId: string) => boolean;
  /** Replaces sandboxes that broke under a cell. */
  sandboxRepair?: SandboxRepair;
}

/** A finished cell: what goes in the report, and the evidence kept beside it. */
export interface CellOutcome {
  result: Omit<Result, "evidence">;
  evidence: Evidence;
}

interface Attempt extends CellOutcome {
  /** Implementations whose sandbox broke under this attempt. */
  broken: string[];
}

export async function runCell(cell: Cell, env: CellEnv): Promise<CellOutcome> {
  if (cell.unsupported) throw new Error(`runCell: ${cell.id} is unsupported, nothing to run`);
  const first = await attempt(cell, env, 1);
  // A sandbox that broke under the cell makes it a harness error, said as such; the sandbox is
  // replaced for the cells after it.
  if (first.broken.length) {
    for (const impl of first.broken) await env.sandboxRepair?.replace(impl);
    return first;
  }
  // Only what can be chance gets a second attempt: an unsupported or unverified cell stays so.
  const outcome = first.result.outcome;
  const retried = outcome === "timeout" || outcome === "error" ||
    (outcome === "fail" && (env.retryFail?.(cell.id) ?? true));
  if (!retried || env.signal?.aborted) return first;
  const second = await attempt(cell, env, 2);
  for (const impl of second.broken) await env.sandboxRepair?.replace(impl);
  // The cell's time is both attempts; the handshake time is the attempt reported.
  const totalMs = first.result.durations.totalMs + second.result.durations.totalMs;
  const durations = { ...second.result.durations, totalMs };
  if (passed(second)) {
    return {
      evidence: withFirstLogs(second.evidence, first.evidence),
      result: {
        ...second.result,
        durations,
        outcome: "flaky",
        reason: `Passed only on the retry; the first attempt was ${first.result.outcome}: ` +
          first.result.reason,
        attempts: 2,
      },
    };
  }
  const same = second.result.outcome === first.result.outcome &&
    second.result.reason === first.result.reason;
  return {
    evidence: second.evidence,
    result: {
      ...second.result,
      durations,
      reason: same ? `${second.result.reason} (the same on the retry)` : second.result.reason,
      attempts: 2,
    },
  };
}

const passed = (a: CellOutcome) => a.result.outcome === "pass";

/** A flaky cell's evidence is the retry's, with the failed attempt's logs before its own. */
export function withFirstLogs(retry: Evidence, first: Evidence): Evidence {
  const both = (side: "client" | "server") =>
    boundLog(`[first attempt]\n${first.logs[side]}\n[retry]\n${retry.logs[side]}`);
  return { ...retry, logs: { client: both("client"), server: both("server") } };
}

function base(cell: Cell) {
  return {
    case: cell.case.id,
    suite: cell.case.suite,
    client: cell.client.id,
    server: cell.server.id,
  };
}

export function harnessError(cell: Cell, part: string, e: unknown, started: number): Attempt {
  return {
    result: {
      ...base(cell),
      outcome: "error",
      reason: `Harness error in ${part}: ${e instanceof Error ? e.message.split("\n")[0] : e}.`,
      observed: null,
      durations: { totalMs: Math.round(performance.now() - started), handshakeMs: null },
      attempts: 1,
    },
    evidence: { observation: null, logs: { client: "", server: "" } },
    broken: [],
  };
}

async function attempt(cell: Cell, env: CellEnv, n: number): Promise<Attempt> {
  const started = performance.now();
  const client = env.sandboxes.get(cell.client.id);
  const server = env.sandboxes.get(cell.server.id);
  for (const [impl, box] of [[cell.client.id, client], [cell.server.id, server]] as const) {
    if (!box) return harnessError(cell, "the runner", `no sandbox for ${impl}`, started);
    if (box instanceof Error) return harnessError(cell, `the ${impl} sandbox`, box, started);
  }
  const scratch = `${env.scratchRoot}/${cell.id.replace(/[^A-Za-z0-9._-]+/g, "_")}-${n}`;
  let tap, serverPort;
  try {
    await Deno.mkdir(scratch, { recursive: true });
    serverPort = await freePort();
    tap = await openTap({ target: serverPort });
  } catch (e) {
    return harnessError(cell, "the cell's setup (scratch directory, port, wire tap)", e, started);
  }
  let pair: PairResult;
  try {
    pair = await runPair({
      client: { sandbox: client as Sandbox, impl: cell.client, config: cell.case.client },
      server: { sandbox: server as Sandbox, impl: cell.server, config: cell.case.server },
      pki: env.pki,
      scratch,
      serverPort,
      connectPort: tap.port,
      timeoutMs: env.timeoutMs,
      http: cell.http,
    });
  } catch (e) {
    await tap.finish();
    return harnessError(cell, "the runtime (runPair or an adapter)", e, started);
  }
  const { observation: wire, problems } = await tap.finish();
  const broken = [[cell.client.id, client], [cell.server.id, server]]
    .filter(([, box]) => (box as Sandbox).broken() !== null).map(([id]) => id as string);
  const judged = performance.now();
  const run: CellRun = {
    client: side(cell.client.id, pair.client, cell.client.placement.kind !== "in-process"),
    server: side(cell.server.id, pair.server, cell.server.placement.kind !== "in-process"),
    wire,
    wireProblems: problems,
    serverNeverReady: pair.serverNeverReady ?? null,
    timeoutMs: env.timeoutMs,
    harnessBroke: broken.length
      ? `the ${[...new Set(broken)].join(" and ")} sandbox broke under the cell ` +
        `(${broken.map((id) => env.sandboxes.get(id) as Sandbox)[0].broken()})`
      : null,
  };
  const verdict = judgeCell(cell.case, run);
  const judgeMs = Math.round((performance.now() - judged) * 10) / 10;
  const adversary = cell.case.conformance
    ? finalReport(
      cell.case.conformance.roleUnderTest === "client" ? pair.server.report : pair.client.report,
    )
    : null;
  return {
    result: {
      ...base(cell),
      outcome: verdict.outcome,
      reason: verdict.reason,
      observed: observedOf(verdict.observation),
      durations: {
        totalMs: Math.round(performance.now() - started),
        handshakeMs: handshakeMs(pair, wire.transcript),
        phases: { ...pair.phases, judgeMs },
      },
      attempts: 1,
      ...(verdict.conformance ? { conformance: verdict.conformance } : {}),
    },
    evidence: {
      observation: verdict.observation,
      logs: { client: logOf(pair.client), server: logOf(pair.server) },
      ...(adversary?.sentHex ? { sentHex: adversary.sentHex } : {}),
    },
    broken,
  };
}

function side(impl: string, r: SideResult, contract: boolean): SideRun {
  return {
    impl,
    report: r.report,
    code: r.code,
    signal: r.signal,
    timedOut: r.timedOut,
    output: `${r.stdout.slice(-4096)}\n${r.stderr.slice(-4096)}`,
    contract,
  };
}

function logOf(side: SideResult): string {
  const parts = [side.stdout.trimEnd(), side.stderr.trimEnd()].filter(Boolean);
  return boundLog(`${parts.join("\n--- stderr ---\n")}\n[exit ${side.code ?? "killed"}]`);
}

/**
 * The handshake time: what the client itself measured when it says, else from the wire, the
 * time from the client's first byte to its first protected record (its Finished) on the last
 * connection.
 */
function handshakeMs(pair: PairResult, transcript: TranscriptEntry[]): number | null {
  const own = finalReport(pair.client.report)?.handshakeMs;
  if (typeof own === "number") return own;
  let start: number | null = null;
  let done: number | null = null;
  let previous = -1;
  for (const e of transcript) {
    if (e.at < previous) [start, done] = [null, null]; // a new connection: `at` restarts
    previous = e.at;
    if (e.direction !== "sent") continue;
    if (start === null) start = e.at;
    else if (done === null && e.protection !== null) done = e.at;
  }
  return start !== null && done !== null ? Math.round((done - start) * 10) / 10 : null;
}
