// Outcomes decided before anything is compared: the harness broke under the cell, a program said
// the configuration is not supported, the server never listened, the client ran out of time, a
// program died of a signal. Null when both programs ran to their end and the judge should decide.

import { EXIT } from "../contract/flags.ts";
import type { Outcome } from "../report/schema.ts";
import type { Role } from "../tls/names.ts";
import type { WireObservation } from "../wire/observation.ts";
import { allOk } from "./observe.ts";
import type { CellRun } from "./run.ts";

export function processOutcome(run: CellRun): { outcome: Outcome; reason: string } | null {
  if (run.harnessBroke) {
    return { outcome: "error", reason: `Harness error: ${run.harnessBroke}.` };
  }
  for (const role of ["server", "client"] as const) {
    const side = run[role];
    if (!side.contract) continue;
    if (side.code === EXIT.unsupported) {
      const said = unsupportedLine(side.output);
      if (said) {
        return { outcome: "unsupported", reason: `Unsupported: ${side.impl} as ${role}: ${said}.` };
      }
    }
    if (side.code === EXIT.cannotStart) {
      return {
        outcome: "error",
        reason: `The ${side.impl} ${role} could not start in its container (exit 3): ` +
          `${lastLine(side.output)}.`,
      };
    }
    if (side.code === EXIT.usage) {
      return {
        outcome: "error",
        reason: `Harness or shim error: the ${side.impl} ${role} refused its command line ` +
          `(exit 2): ${lastLine(side.output)}.`,
      };
    }
  }
  if (run.serverNeverReady) {
    const why = run.serverNeverReady;
    if (/already in use/.test(why)) return { outcome: "error", reason: `Harness error: ${why}.` };
    if (/not ready after|within \d+ ms/.test(why)) {
      return { outcome: "timeout", reason: `The server did not start listening: ${why}.` };
    }
    return { outcome: "fail", reason: `The server did not start: ${firstLine(why)}.` };
  }
  if (run.client.timedOut) {
    return {
      outcome: "timeout",
      reason: `The ${run.client.impl} client did not finish within ${run.timeoutMs / 1000} s; ` +
        `${whereItStopped(run.wire)}.`,
    };
  }
  for (const role of ["client", "server"] as const satisfies Role[]) {
    const side = run[role];
    // A program under a shell that died of a signal leaves the shell's 128 + n.
    const signal = side.signal ??
      (side.code !== null && side.code > 128 && side.code < 160 ? side.code - 128 : null);
    if (signal && !side.timedOut && !allOk(side.report)) {
      return {
        outcome: "fail",
        reason: `The ${side.impl} ${role} crashed (exit ${side.code ?? "-"}, signal ${signal}).`,
      };
    }
  }
  return null;
}

/** `unsupported: lacks: …` or `unsupported: shim: …`, as the contract asks a program to say. */
function unsupportedLine(output: string): string | null {
  const line = output.split("\n").map((l) => l.trim()).filter(Boolean).reverse()
    .find((l) => /^unsupported: (lacks|shim):/.test(l));
  if (!line) return null;
  return line.replace(/^unsupported: lacks: /, "library lacks it: ")
    .replace(/^unsupported: shim: /, "adapter cannot: ").replace(/\.$/, "");
}

function whereItStopped(wire: WireObservation | null): string {
  if (!wire || wire.connections === 0) return "it never connected";
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

const firstLine = (s: string): string => s.split("\n")[0];
const lastLine = (s: string): string =>
  s.split("\n").map((l) => l.trim()).filter(Boolean).at(-1) ?? "no output";
