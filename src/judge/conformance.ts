// Conformance verdicts: what the implementation under test did when the reference peer misbehaved
// on purpose (src/adversary/), classified from the evidence, and mapped to a Result outcome
// with one sentence. The evidence, best first: the reference peer's own summary (it decrypts what
// it can, so it sees alerts sent under handshake keys it shares), the wire tap (alerts and
// messages in clear, sizes of protected records), and the implementation's own report.
//
//   correct-alert         the party under test aborted with the alert the source names
//   wrong-alert           it aborted, with another alert
//   closed-without-alert  it closed the connection and said nothing
//   accepted              it carried on past the check (the most serious)
//   alert-unreadable      it aborted under keys we cannot have, because the misbehaviour made the
//                         two sides' keys differ without anything to detect earlier (not a failure)
//   tolerated             a handshake where tolerance is required (or a permitted alternative)
//   not-applied           the misbehaviour never happened, so the cell shows nothing

import type { Case } from "../contract/case.ts";
import type { PeerReport } from "../contract/report.ts";
import type { Classification, ConformanceFinding, Observation } from "../report/schema.ts";
import { type AlertName, GROUPS, isPostQuantum, nameOf, type Role } from "../tls/names.ts";
import type { WireObservation } from "../wire/observation.ts";
import { judge, oneLine } from "./expectation.ts";
import { finalReport } from "./observe.ts";

export interface ConformanceVerdict {
  classification: Classification;
  /** The alert the party under test sent, when anyone could read it. */
  alert: string | null;
  outcome: "pass" | "fail" | "error";
  reason: string;
}

/** The reference peer's report: the contract's line and what only it says. */
type AdversaryReport = PeerReport;

/**
 * Alerts that by their nature come after the keys are in use (RFC 9846 §5.2: a record that does
 * not decrypt is bad_record_mac). A misbehaviour that expects one expects the peer to get that far.
 */
const AFTER_KEYS = new Set(["bad_record_mac"]);

/**
 * The smallest protected record that can hold a Finished (4-byte header + 32-byte verify_data +
 * content type + 16-byte tag). Anything smaller from a TLS 1.3 client after the ServerHello is an
 * alert (2 bytes + type + tag = 19).
 */
const SMALLEST_FINISHED_RECORD = 4 + 32 + 1 + 16;

const other = (r: Role): Role => (r === "client" ? "server" : "client");

/** Classifies a conformance cell; `c.conformance` must be set. */
export function classifyConformance(
  c: Pick<Case, "expect" | "conformance">,
  obs: Observation,
): ConformanceVerdict {
  const m = c.conformance;
  if (!m) throw new Error("classifyConformance: the case is not a conformance case");
  const R = m.roleUnderTest;
  const A = other(R);
  const adv = finalReport(obs[A]) as AdversaryReport | null;
  const lib = finalReport(obs[R]);
  const hints = m.hints ?? {};
  const name = m.misbehaviour.name;

  if (!adv) {
    return verdict("not-applied", null, "error", `The reference ${A} gave no report.`);
  }
  if (!adv.adversary) {
    // A hooked reference peer always says what it did; without that the run itself broke.
    const why = adv.error ? `: ${oneLine(adv.error)}` : "";
    return verdict("not-applied", null, "error", `The reference ${A} printed no summary${why}.`);
  }
  if (R === "client" && obs.wire && obs.wire.connections === 0) {
    const why = lib?.error ? ` (${oneLine(lib.error)})` : "";
    return verdict("not-applied", null, "error", `The client never connected${why}.`);
  }
  if (adv.adversary.applied.length === 0) {
    const why = adv.alert
      ? ` (the connection ended first: ${adv.alertDirection ?? ""} ${adv.alert})`
      : adv.error
      ? ` (${oneLine(adv.error)})`
      : "";
    return verdict(
      "not-applied",
      null,
      "error",
      `The misbehaviour ${name} never happened on the wire${why}, so this cell shows nothing.`,
    );
  }

  const alert = alertFrom(R, adv, obs.wire);
  // A client that misbehaved in its Finished has finished its handshake whatever the server
  // thought of it: only the server's answer to its line shows the server accepted.
  const late = R === "server" && hints.afterServerFlight === true;
  const answered = adv.echo === "matched";
  const done = (lib?.ok ?? false) || (late ? answered : adv.ok);
  const progressed = late
    ? (answered ? "it answered our line" : null)
    : carriedOn(R, adv, obs.wire);

  if (hints.tls12Fallback) {
    const tls12 = tls12Verdict(obs.wire, c);
    if (tls12) return tls12;
  }

  if (c.expect.kind === "handshake") {
    if (adv.ok) {
      // The reference peer's line came back over the connection, so the library completed the
      // handshake and moved application data, whatever its own report says.
      const doubt = lib && !lib.ok
        ? ` (the ${R}'s own report says it failed: ${oneLine(lib.error ?? "no detail")}; ` +
          `the echo over the connection says otherwise)`
        : "";
      const seen = lib && !lib.ok ? { ...obs, [R]: { ...lib, ok: true, next: undefined } } : obs;
      const j = judge(c.expect, seen);
      if (j.outcome === "pass") {
        return verdict("tolerated", null, "pass", `Tolerated ${name}: ${j.reason}${doubt}`);
      }
      return verdict("accepted", null, "fail", `Handshake after ${name}, but: ${j.reason}`);
    }
    if (alert && (hints.mayAbortWith as string[] | undefined)?.includes(alert.name)) {
      return verdict(
        "correct-alert",
        alert.name,
        "pass",
        `The ${R} aborted with ${alert.name}${alert.via}, which the source permits (${m.source}).`,
      );
    }
    if (alert) {
      return verdict(
        "wrong-alert",
        alert.name,
        "fail",
        `A handshake was required but the ${R} sent ${alert.name}${alert.via} (${m.source}).`,
      );
    }
    // Carrying on is what tolerance asks for; failing after that without a word is the fault.
    const after = progressed ? ` after ${progressed.replace(/^it /, "")}` : "";
    return verdict(
      "closed-without-alert",
      null,
      "fail",
      `A handshake was required (${m.source}), but the ${R} stopped${after} without an alert` +
        (adv.error ? `: ${oneLine(adv.error)}.` : "."),
    );
  }

  const want = c.expect.alert;
  if (done) {
    return verdict(
      "accepted",
      null,
      "fail",
      `The ${R} completed the handshake despite ${name}; expected ${want} (${m.source}).`,
    );
  }
  if (progressed && !AFTER_KEYS.has(want)) {
    const later = alert ? `, and only later sent ${alert.name}${alert.via}` : "";
    return verdict(
      "accepted",
      alert?.name ?? null,
      "fail",
      `The ${R} carried on after ${name} (${progressed})${later}; expected ${want} at once ` +
        `(${m.source}).`,
    );
  }
  if (alert) {
    if (alert.name === want) {
      return verdict("correct-alert", alert.name, "pass", `The ${R} sent ${want}${alert.via}.`);
    }
    if (hints.alternatives?.includes(alert.name as AlertName)) {
      return verdict(
        "correct-alert",
        alert.name,
        "pass",
        `The ${R} sent ${alert.name}${alert.via}, which the source also names (${m.source}).`,
      );
    }
    return verdict(
      "wrong-alert",
      alert.name,
      "fail",
      `Expected ${want} from the ${R} but it sent ${alert.name}${alert.via} (${m.source}).`,
    );
  }
  const sealed = sealedAlert(R, obs.wire);
  if (sealed && AFTER_KEYS.has(want)) {
    return verdict(
      "alert-unreadable",
      null,
      "pass",
      `The ${R} aborted with a ${sealed}-byte protected record (an encrypted alert) under keys ` +
        `that differ from ours by construction of ${name}; expected ${want}, which the protocol ` +
        `encrypts.`,
    );
  }
  if (sealed) {
    return verdict(
      "accepted",
      null,
      "fail",
      `The ${R} sent a ${sealed}-byte protected alert we cannot read: it derived handshake keys ` +
        `from what ${name} sent instead of rejecting it with ${want} in clear (${m.source}).`,
    );
  }
  return closedOrAccepted(R, adv, `Expected ${want} (${m.source})`, progressed);
}

function closedOrAccepted(
  R: Role,
  adv: AdversaryReport,
  wanted: string,
  progressed: string | null,
): ConformanceVerdict {
  if (progressed) {
    return verdict("accepted", null, "fail", `${wanted}, but the ${R} carried on (${progressed}).`);
  }
  const what = adv.error ? `: ${oneLine(adv.error)}` : "";
  // The reference peer gave up on a peer that never answered (its patience, adversary/records.ts).
  const silent = /^no answer at all/.test(adv.error ?? "");
  return verdict(
    "closed-without-alert",
    null,
    "fail",
    silent
      ? `${wanted}, but the ${R} sent nothing at all${what}.`
      : `${wanted}, but the ${R} closed the connection without an alert${what}.`,
  );
}

const verdict = (
  classification: Classification,
  alert: string | null,
  outcome: ConformanceVerdict["outcome"],
  reason: string,
): ConformanceVerdict => ({ classification, alert, outcome, reason });

/** The alert the party under test sent: as the reference peer read it, else in clear on the wire. */
function alertFrom(
  R: Role,
  adv: AdversaryReport,
  wire: WireObservation | null,
): { name: string; via: string } | null {
  if (adv.alertDirection === "received" && adv.alert && adv.alert !== "close_notify") {
    return { name: adv.alert, via: "" };
  }
  const clear = wire?.alerts.filter((a) => a.from === R && a.alert !== "close_notify") ?? [];
  const fatal = clear.find((a) => a.level === "fatal") ?? clear[0];
  return fatal ? { name: String(fatal.alert), via: " (seen in clear on the wire)" } : null;
}

/**
 * Evidence that the party under test went past the check: the message it should never have
 * sent, as the reference peer received it, or on the wire. Null when there is none.
 */
function carriedOn(R: Role, adv: AdversaryReport, wire: WireObservation | null): string | null {
  const received = (adv.flights ?? []).filter((f) => f.direction === "received")
    .flatMap((f) => f.messages);
  if (R === "server") {
    if (received.includes("ServerHello")) return "it sent a ServerHello";
    if (wire?.selectedGroup) return `it sent a ServerHello selecting ${wire.selectedGroup}`;
    return null;
  }
  const hellos = received.filter((x) => x === "ClientHello").length;
  const sentHrr = (adv.flights ?? []).some((f) =>
    f.direction === "sent" && f.messages.includes("HelloRetryRequest")
  );
  if (sentHrr && hellos >= 2) return "it answered the HelloRetryRequest with a second ClientHello";
  if (received.includes("Finished")) return "it sent its Finished";
  const big = clientProtected(wire).find((n) => n >= SMALLEST_FINISHED_RECORD);
  if (big) return `it sent a ${big}-byte protected record, large enough for its Finished`;
  return null;
}

/** Fragment lengths of the client's protected records (TLS 1.3: only after the ServerHello). */
function clientProtected(wire: WireObservation | null): number[] {
  return (wire?.transcript ?? [])
    .filter((e) => e.direction === "sent" && e.protection !== null)
    .map((e) => parseInt(e.hex.slice(6, 10), 16));
}

/** The size of an alert-sized protected record the client sent, when that is all it sent. */
function sealedAlert(R: Role, wire: WireObservation | null): number | null {
  if (R !== "client") return null;
  const sizes = clientProtected(wire);
  if (sizes.length === 0 || sizes.some((n) => n >= SMALLEST_FINISHED_RECORD)) return null;
  return sizes[0];
}

// ---------------------------------------------------------------- pq-in-tls12-hello

/**
 * A TLS 1.2-only ClientHello offering PQ groups (RFC 9846 §4.3.1: without supported_versions a
 * server that also speaks TLS 1.2 MUST negotiate TLS 1.2 or earlier; one that does not aborts with
 * protocol_version). TLS 1.2 is fine as long as no PQ group reaches its ServerKeyExchange: the
 * ML-KEM groups are defined for TLS 1.3 only. Null when the wire shows no ServerHello.
 */
function tls12Verdict(
  wire: WireObservation | null,
  c: Pick<Case, "conformance">,
): ConformanceVerdict | null {
  const server = serverCleartextHandshake(wire);
  if (!server.serverHello) return null;
  const source = c.conformance!.source;
  if (server.serverHello.version === 0x0304) {
    return verdict(
      "accepted",
      null,
      "fail",
      `The server negotiated TLS 1.3 although the ClientHello offered only TLS 1.2 (${source}).`,
    );
  }
  const v = `0x${server.serverHello.version.toString(16).padStart(4, "0")}`;
  if (server.curve !== null && isPostQuantum(nameOf(GROUPS, server.curve) as never)) {
    return verdict(
      "accepted",
      null,
      "fail",
      `The server negotiated version ${v} and put ${
        nameOf(GROUPS, server.curve)
      } in its ServerKeyExchange: a TLS 1.3-only group in TLS 1.2 (${source}).`,
    );
  }
  const curve = server.curve === null ? "no ServerKeyExchange seen" : nameOf(GROUPS, server.curve);
  return verdict(
    "tolerated",
    null,
    "pass",
    `The server negotiated version ${v} without a post-quantum group (${curve}), as allowed.`,
  );
}

interface ServerClear {
  serverHello: { version: number } | null;
  /** The named curve of a TLS 1.2 ServerKeyExchange (RFC 8422 §5.4), or null. */
  curve: number | null;
}

/** Walks the server's cleartext handshake bytes for the ServerHello version and the SKE curve. */
export function serverCleartextHandshake(wire: WireObservation | null): ServerClear {
  const bytes: number[] = [];
  for (const e of wire?.transcript ?? []) {
    if (e.direction !== "received" || e.protection !== null || e.contentType !== "handshake") {
      continue;
    }
    if (e.hex.endsWith("…")) break;
    const rec = e.hex.slice(10);
    for (let i = 0; i < rec.length; i += 2) bytes.push(parseInt(rec.slice(i, i + 2), 16));
  }
  const out: ServerClear = { serverHello: null, curve: null };
  for (let at = 0; at + 4 <= bytes.length;) {
    const type = bytes[at];
    const len = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    const body = bytes.slice(at + 4, at + 4 + len);
    if (body.length < len) break;
    if (type === 2 && !out.serverHello) out.serverHello = { version: serverHelloVersion(body) };
    if (type === 12 && body[0] === 3) out.curve = (body[1] << 8) | body[2];
    at += 4 + len;
  }
  return out;
}

/** supported_versions' selected version if present (TLS 1.3), else legacy_version. */
function serverHelloVersion(b: number[]): number {
  const legacy = (b[0] << 8) | b[1];
  let at = 2 + 32;
  at += 1 + b[at]; // session id
  at += 3; // cipher suite + compression
  if (at + 2 > b.length) return legacy;
  const end = at + 2 + ((b[at] << 8) | b[at + 1]);
  for (at += 2; at + 4 <= end;) {
    const type = (b[at] << 8) | b[at + 1];
    const len = (b[at + 2] << 8) | b[at + 3];
    if (type === 43 && len === 2) return (b[at + 4] << 8) | b[at + 5];
    at += 4 + len;
  }
  return legacy;
}

/**
 * The judge for a conformance cell: the outcome, one sentence that starts with the classification
 * ("wrong-alert: …") so the terminal and the Markdown summary can show it as is, and the finding
 * the web page's conformance table reads.
 */
export function judgeConformance(
  c: Pick<Case, "expect" | "conformance">,
  obs: Observation,
): { outcome: "pass" | "fail" | "error"; reason: string; conformance: ConformanceFinding } {
  const v = classifyConformance(c, obs);
  return {
    outcome: v.outcome,
    reason: `${v.classification}: ${v.reason}`,
    conformance: {
      roleUnderTest: c.conformance!.roleUnderTest,
      classification: v.classification,
      alert: v.alert,
    },
  };
}
