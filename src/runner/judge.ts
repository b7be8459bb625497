// Judging: what was seen (the wire first, where it can see, then each program's own report)
// against what the case expects, in one sentence. Two steps, kept apart so each is easy to test:
// `observe` merges the evidence and notes every disagreement; `judge` compares with the
// expectation.

import type { Expectation } from "./case.ts";
import type { PeerReport } from "../peers/types.ts";
import type { Observation, WireObservation } from "../report/schema.ts";
import type { CipherSuiteName, GroupName, PskModeName } from "../tls/names.ts";

/** The report of the connection an expectation is about: the last one (the resumed one). */
export function finalReport(r: PeerReport | null): PeerReport | null {
  if (!r) return null;
  return r.next?.length ? r.next[r.next.length - 1] : r;
}

/** Every connection of a program went through. */
export const allOk = (r: PeerReport): boolean => r.ok && (r.next ?? []).every(allOk);

/** What the wire can tell for certain, field by field; undefined = the wire cannot see it. */
interface WireFacts {
  group?: GroupName | null;
  cipherSuite?: CipherSuiteName;
  helloRetryRequest?: boolean;
  pskMode?: PskModeName | null;
  certWithPsk?: boolean;
}

function wireFacts(w: WireObservation | null): WireFacts {
  if (!w) return {};
  const facts: WireFacts = {};
  // A ServerHello always carries key_share or pre_shared_key; seeing either means we saw it.
  const sawServerHello = w.selectedGroup !== null || w.pskSelected !== null;
  if (w.cipherSuite !== null) {
    facts.helloRetryRequest = w.helloRetryRequest;
    if (w.cipherSuite.startsWith("TLS_")) facts.cipherSuite = w.cipherSuite as CipherSuiteName;
  }
  if (sawServerHello) {
    // Unknown codepoints stay visible as their hex name rather than vanishing into null.
    facts.group = w.selectedGroup as GroupName | null;
    facts.pskMode = w.pskSelected === null ? null : w.selectedGroup ? "psk_dhe_ke" : "psk_ke";
    facts.certWithPsk = w.certWithPskEchoed;
  }
  return facts;
}

type Field = "group" | "cipherSuite" | "helloRetryRequest" | "pskMode" | "certWithPsk";
const WIRE_FIELDS: Field[] = [
  "group",
  "cipherSuite",
  "helloRetryRequest",
  "pskMode",
  "certWithPsk",
];
const REPORT_ONLY = ["resumed", "earlyData"] as const;

const show = (v: unknown): string => v === null ? "none" : String(v);

/** Merges the wire and both reports into one observation, listing every disagreement. */
export function observe(
  wire: WireObservation | null,
  clientReport: PeerReport | null,
  serverReport: PeerReport | null,
): Observation {
  const client = finalReport(clientReport);
  const server = finalReport(serverReport);
  const facts = wireFacts(wire);
  const disagreements: string[] = [];
  const merged = {} as Record<Field | typeof REPORT_ONLY[number], unknown>;

  for (const field of WIRE_FIELDS) {
    const seen = facts[field];
    const said = [["client", client?.[field] ?? null], [
      "server",
      server?.[field] ?? null,
    ]] as const;
    if (seen !== undefined) {
      merged[field] = seen;
      for (const [who, value] of said) {
        if (value !== null && value !== seen) {
          disagreements.push(
            `${field}: the wire shows ${show(seen)} but the ${who} reported ${show(value)}`,
          );
        }
      }
    } else {
      merged[field] = said[0][1] ?? said[1][1];
      reportsDisagree(field, said[0][1], said[1][1], disagreements);
    }
  }
  for (const field of REPORT_ONLY) {
    const c = client?.[field] ?? null;
    const s = server?.[field] ?? null;
    merged[field] = c ?? s;
    reportsDisagree(field, c, s, disagreements);
  }
  if (merged.earlyData === "accepted" && wire && !wire.earlyDataOffered && wire.connections > 0) {
    disagreements.push(
      "earlyData: a program reported accepted 0-RTT but no ClientHello offered it",
    );
  }

  return {
    group: merged.group as GroupName | null,
    cipherSuite: merged.cipherSuite as CipherSuiteName | null,
    helloRetryRequest: merged.helloRetryRequest as boolean | null,
    resumed: merged.resumed as boolean | null,
    pskMode: merged.pskMode as PskModeName | null,
    earlyData: merged.earlyData as Observation["earlyData"],
    certWithPsk: merged.certWithPsk as boolean | null,
    alert: alertOf(wire, client, server),
    client: clientReport,
    server: serverReport,
    wire,
    disagreements,
  };
}

function reportsDisagree(field: string, c: unknown, s: unknown, out: string[]): void {
  if (c !== null && s !== null && c !== s) {
    out.push(`${field}: the client reported ${show(c)} but the server reported ${show(s)}`);
  }
}

/** The alert that ended the handshake: one seen in clear on the wire, else a program's word. */
function alertOf(
  wire: WireObservation | null,
  client: PeerReport | null,
  server: PeerReport | null,
): Observation["alert"] {
  const clear = wire?.alerts.find((a) => a.level === "fatal") ?? wire?.alerts[0];
  if (clear) return { name: clear.alert, by: clear.from };
  const name = client?.alert ?? server?.alert;
  return name ? { name, by: "unknown" } : null;
}

export interface Verdict {
  outcome: "pass" | "fail";
  reason: string;
}

/** Compares an observation with the expectation; the reason is one sentence either way. */
export function judge(expect: Expectation, obs: Observation): Verdict {
  return expect.kind === "handshake" ? judgeHandshake(expect, obs) : judgeAlert(expect, obs);
}

const fail = (reason: string): Verdict => ({ outcome: "fail", reason });

function failureText(who: string, r: PeerReport | null): string | null {
  if (!r) return `the ${who} gave no report`;
  if (allOk(r)) return null;
  const bad = [r, ...(r.next ?? [])].find((x) => !x.ok)!;
  const detail = bad.error ?? (bad.alert ? `alert ${bad.alert}` : "no detail");
  const which = bad === r ? "" : " on its resumed connection";
  return `the ${who} failed${which} (${oneLine(detail)})`;
}

function judgeHandshake(
  expect: Extract<Expectation, { kind: "handshake" }>,
  obs: Observation,
): Verdict {
  const failures = [failureText("client", obs.client), failureText("server", obs.server)]
    .filter((x) => x !== null);
  if (failures.length) return fail(`Handshake expected but ${failures.join("; ")}.`);

  // A program that contradicts the wire is wrong about its own connection.
  const contradiction = obs.disagreements.find((d) => d.includes("the wire shows"));
  if (contradiction) return fail(`A program contradicts the wire: ${contradiction}.`);

  const checks: [string, unknown, unknown][] = [];
  if (expect.group !== undefined) checks.push(["group", expect.group, obs.group]);
  if (expect.helloRetryRequest !== undefined) {
    checks.push(["HelloRetryRequest", expect.helloRetryRequest, obs.helloRetryRequest]);
  }
  if (expect.cipherSuite !== undefined) {
    checks.push(["cipher suite", expect.cipherSuite, obs.cipherSuite]);
  }
  if (expect.resumed !== undefined) checks.push(["resumed", expect.resumed, obs.resumed]);
  if (expect.pskMode !== undefined) checks.push(["PSK mode", expect.pskMode, obs.pskMode]);
  if (expect.earlyData !== undefined) checks.push(["0-RTT", expect.earlyData, obs.earlyData]);
  if (expect.certWithPsk !== undefined) {
    checks.push(["cert_with_extern_psk", expect.certWithPsk, obs.certWithPsk]);
  }
  for (const [what, want, got] of checks) {
    if (got === null && want !== null) {
      return fail(`Expected ${what} ${show(want)}, but neither the wire nor either program says.`);
    }
    if (got !== want) return fail(`Expected ${what} ${show(want)} but got ${show(got)}.`);
  }
  if (expect.groupOneOf && !expect.groupOneOf.includes(obs.group as GroupName)) {
    return fail(`Expected one of ${expect.groupOneOf.join(", ")} but got ${show(obs.group)}.`);
  }
  // Programs disagreeing about something the case checks means one of them is wrong.
  const checked = new Set(
    Object.keys(expect).map((k) => k === "groupOneOf" ? "group" : k),
  );
  const disputed = obs.disagreements.find((d) => checked.has(d.split(":")[0]));
  if (disputed) return fail(`The two programs disagree: ${disputed}.`);

  return { outcome: "pass", reason: `${describe(obs)}, as expected.` };
}

/** "Handshake with X25519MLKEM768 after HRR, psk_dhe_ke, resumed". */
export function describe(obs: Observation): string {
  const parts = [`Handshake with ${obs.group ?? "no key exchange group"}`];
  if (obs.helloRetryRequest) parts[0] += " after HelloRetryRequest";
  if (obs.pskMode) parts.push(obs.pskMode);
  if (obs.resumed) parts.push("resumed");
  if (obs.earlyData) parts.push(`0-RTT ${obs.earlyData}`);
  if (obs.certWithPsk) parts.push("certificate with external PSK");
  return parts.join(", ");
}

function judgeAlert(expect: Extract<Expectation, { kind: "alert" }>, obs: Observation): Verdict {
  const succeeded = obs.client && obs.server && allOk(obs.client) && allOk(obs.server);
  if (succeeded) {
    return fail(
      `Expected the ${expect.by} to send ${expect.alert}, but the handshake succeeded ` +
        `(${describe(obs).toLowerCase()}).`,
    );
  }
  const alert = obs.alert;
  if (!alert) {
    return fail(`Expected the ${expect.by} to send ${expect.alert}, but no alert was seen.`);
  }
  if (alert.name !== expect.alert) {
    return fail(
      `Expected the ${expect.by} to send ${expect.alert}, but saw ${alert.name}` +
        (alert.by === "unknown" ? "." : ` from the ${alert.by}.`),
    );
  }
  if (alert.by !== "unknown" && alert.by !== expect.by) {
    return fail(`Expected ${expect.alert} from the ${expect.by}, but the ${alert.by} sent it.`);
  }
  return { outcome: "pass", reason: `The ${expect.by} sent ${expect.alert}, as expected.` };
}

/** The first non-empty line of a program's message, shortened for a one-line reason. */
export const oneLine = (s: string): string => {
  const line = s.split("\n").map((l) => l.trim()).filter(Boolean)[0] ?? "";
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
};
