// One cell, end to end: server up, wire tap in between, client run, evidence judged. A cell that
// fails, times out or errors gets one more attempt; passing only on the retry makes it flaky,
// never a pass.

import type { Cell } from "./plan.ts";
import { allOk, finalReport, judge, observe } from "./judge.ts";
import { judgeConformance } from "./verdict.ts";
import type { ImplId, PkiPaths } from "../peers/types.ts";
import type { Outcome, Result, WireObservation } from "../report/schema.ts";
import { boundLog } from "../report/store.ts";
import { type PairResult, runPair, type SideResult } from "../runtime/pair.ts";
import { freePort } from "../runtime/ports.ts";
import type { Sandbox } from "../runtime/sandbox.ts";
import { openTap } from "../wire/tap.ts";
import type { TranscriptEntry } from "../tls/summary.ts";

export interface SandboxRepair {
  /** Replaces the implementation's sandbox (once per run; later calls wait for that one). */
  replace(impl: ImplId): Promise<void>;
  /** Checks that the implementation's container still runs, replacing it when it does not. */
  check(impl: ImplId): Promise<void>;
}

export interface CellEnv {
  /** The sandbox of each implementation, or why it could not be opened (a harness error). */
  sandboxes: Map<ImplId, Sandbox | Error>;
  pki: PkiPaths;
  /** A directory every sandbox mounts; each attempt gets its own subdirectory. */
  scratchRoot: string;
  timeoutMs: number;
  /** Once aborted, no retry is started. */
  signal?: AbortSignal;
  /** Replaces sandboxes whose container died, and says when a replacement is done. */
  sandboxRepair?: SandboxRepair;
}

type Attempt = Omit<Result, "case" | "suite" | "title" | "client" | "server" | "expected"> & {
  /** Implementations whose container was found dead (not part of the report). */
  containerGone?: ImplId[];
};

export async function runCell(cell: Cell, env: CellEnv): Promise<Result> {
  if (cell.unsupported) throw new Error(`runCell: ${cell.id} is unsupported, nothing to run`);
  const head = {
    case: cell.case.id,
    suite: cell.case.suite,
    title: cell.case.title,
    client: cell.client.id,
    server: cell.server.id,
    expected: cell.case.expect,
  };
  const first = await attempt(cell, env, 1);
  if (first.outcome === "pass" || env.signal?.aborted) return { ...head, ...first };
  for (const impl of first.containerGone ?? []) await env.sandboxRepair?.replace(impl);
  delete first.containerGone;
  // A container can die without saying so in this cell's output: look before retrying.
  for (const impl of new Set([cell.client.id, cell.server.id])) {
    await env.sandboxRepair?.check(impl);
  }
  const second = await attempt(cell, env, 2);
  delete second.containerGone;
  // The cell's time is both attempts; the handshake time is the attempt reported.
  second.durations.totalMs += first.durations.totalMs;
  if (second.outcome === "pass") {
    return {
      ...head,
      ...second,
      outcome: "flaky",
      reason: `Passed only on the retry; the first attempt was ${first.outcome}: ${first.reason}`,
      attempts: 2,
    };
  }
  const same = second.outcome === first.outcome && second.reason === first.reason;
  return {
    ...head,
    ...second,
    reason: same ? `${second.reason} (the same on the retry)` : second.reason,
    attempts: 2,
  };
}

const harnessError = (part: string, e: unknown, started: number): Attempt => ({
  outcome: "error",
  reason: `Harness error in ${part}: ${e instanceof Error ? e.message.split("\n")[0] : e}.`,
  observed: null,
  logs: { client: "", server: "" },
  durations: { totalMs: Math.round(performance.now() - started), handshakeMs: null },
  attempts: 1,
});

async function attempt(cell: Cell, env: CellEnv, n: number): Promise<Attempt> {
  const started = performance.now();
  const client = env.sandboxes.get(cell.client.id);
  const server = env.sandboxes.get(cell.server.id);
  for (const [impl, box] of [[cell.client.id, client], [cell.server.id, server]] as const) {
    if (!box) return harnessError(`the runner`, `no sandbox for ${impl}`, started);
    if (box instanceof Error) return harnessError(`the ${impl} sandbox`, box, started);
  }
  const scratch = `${env.scratchRoot}/${cell.id.replace(/[^A-Za-z0-9._-]+/g, "_")}-${n}`;
  await Deno.mkdir(scratch, { recursive: true });

  let tap;
  const serverPort = await freePort();
  try {
    tap = await openTap({ target: serverPort });
  } catch (e) {
    return harnessError("the wire tap", e, started);
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
    });
  } catch (e) {
    await tap.finish();
    return harnessError("the runtime (runPair or an adapter)", e, started);
  }
  const { observation, problems } = await tap.finish();
  const observed = observe(observation, pair.client.report, pair.server.report);
  observed.disagreements.push(...problems.map((p) => `wire: ${p}`));
  const result: Attempt = {
    outcome: "fail",
    reason: "",
    observed,
    logs: { client: logOf(pair.client), server: logOf(pair.server) },
    durations: {
      totalMs: Math.round(performance.now() - started),
      handshakeMs: handshakeMs(pair, observation.transcript),
    },
    attempts: 1,
  };
  const gone = deadContainers(cell, pair);
  if (gone.length) {
    return {
      ...result,
      outcome: "error",
      reason: `Harness error in the container runtime: the ${gone.join(" and ")} container ` +
        `(or the engine) stopped under the cell.`,
      containerGone: gone,
    };
  }
  const early = processOutcome(cell, pair, env.timeoutMs, observation);
  if (early) return { ...result, ...early };
  // A conformance case (the reference peer misbehaving on purpose) has its own verdict.
  const verdict = cell.case.misbehaviour
    ? judgeConformance(cell.case, observed)
    : judge(cell.case.expect, observed);
  return { ...result, ...verdict };
}

/**
 * Docker's own words when `docker exec` finds its container (or the engine) gone: the harness
 * failed there, not the implementation.
 */
export const CONTAINER_GONE =
  /Error response from daemon: (Container \S+ is not running|No such container)|Cannot connect to the Docker daemon/;

function deadContainers(cell: Cell, pair: PairResult): ImplId[] {
  const gone: ImplId[] = [];
  const sides = [[cell.client, pair.client], [cell.server, pair.server]] as const;
  for (const [impl, side] of sides) {
    if (impl.container === null) continue; // host programs have no container to lose
    if (CONTAINER_GONE.test(`${side.stderr}\n${side.stdout}`) && !gone.includes(impl.id)) {
      gone.push(impl.id);
    }
  }
  if (pair.serverNeverReady && CONTAINER_GONE.test(pair.serverNeverReady)) {
    if (!gone.includes(cell.server.id)) gone.push(cell.server.id);
  }
  return gone;
}

/**
 * Outcomes decided before judging: the server never listened, the client ran out of time, a
 * program died of a signal. Null when both ran to their end and the judge should decide.
 */
function processOutcome(
  cell: Cell,
  pair: PairResult,
  timeoutMs: number,
  wire: WireObservation,
): { outcome: Outcome; reason: string } | null {
  if (pair.serverNeverReady) {
    const why = pair.serverNeverReady;
    if (/already in use/.test(why)) return { outcome: "error", reason: `Harness error: ${why}.` };
    if (/not ready after|within \d+ ms/.test(why)) {
      return { outcome: "timeout", reason: `The server did not start listening: ${why}.` };
    }
    return { outcome: "fail", reason: `The server did not start: ${firstLine(why)}.` };
  }
  if (pair.timedOut) {
    return {
      outcome: "timeout",
      reason: `The ${cell.client.id} client did not finish within ${timeoutMs / 1000} s; ` +
        `${whereItStopped(wire)}.`,
    };
  }
  for (const [role, side] of [["client", pair.client], ["server", pair.server]] as const) {
    const signal = crashSignal(side);
    if (signal && !allOk(side.report)) {
      const impl = role === "client" ? cell.client.id : cell.server.id;
      return {
        outcome: "fail",
        reason: `The ${impl} ${role} crashed (exit ${side.code}, signal ${signal}).`,
      };
    }
  }
  return null;
}

function whereItStopped(wire: WireObservation): string {
  if (wire.connections === 0) return "it never connected";
  if (wire.bytes.serverToClient === 0) return "the server never answered on the wire";
  const last = wire.transcript.at(-1);
  const hello = wire.selectedGroup
    ? `the wire saw a ServerHello (${wire.selectedGroup}), and `
    : "";
  return last
    ? `${hello}the last record was ${last.contentType} from the ${
      last.direction === "sent" ? "client" : "server"
    }`
    : "the wire saw no complete record";
}

/** The signal a program died of, read from a shell-style exit code (128 + signal). */
function crashSignal(side: SideResult): number | null {
  return side.code !== null && side.code > 128 && side.code < 160 && !side.timedOut
    ? side.code - 128
    : null;
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
  const own = (finalReport(pair.client.report) as { handshakeMs?: number | null } | null)
    ?.handshakeMs;
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

const firstLine = (s: string): string => s.split("\n")[0];
