// Judging a cell against its case's expectation: what was observed (observe.ts) compared with
// what must happen, in one sentence either way. A pass needs evidence for every property the case
// names: a property nobody could see is never taken as seen.

import type { Expectation } from "../contract/case.ts";
import type { PeerReport } from "../contract/report.ts";
import type { Observation } from "../report/schema.ts";
import type { GroupName } from "../tls/names.ts";
import { allOk, show } from "./observe.ts";

export interface Verdict {
  /** unverified: the case names a property that no program and not the wire could show. */
  outcome: "pass" | "fail" | "unverified";
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

/** The application data exchange after a handshake, as the client saw it on each connection. */
function echoFailure(client: PeerReport | null): string | null {
  const bad = [client, ...(client?.next ?? [])].find((r) =>
    r?.echo === "mismatched" || r?.echo === "none"
  );
  if (!bad) return null;
  const which = bad === client ? "" : " on the resumed connection";
  return bad.echo === "none"
    ? `the server answered nothing to the client's message${which}`
    : `the server's answer was not the client's message${which} (${oneLine(bad.error ?? "")})`;
}

function judgeHandshake(
  expect: Extract<Expectation, { kind: "handshake" }>,
  obs: Observation,
): Verdict {
  const failures = [failureText("client", obs.client), failureText("server", obs.server)]
    .filter((x) => x !== null);
  if (failures.length) return fail(`Handshake expected but ${failures.join("; ")}.`);
  const exchange = echoFailure(obs.client);
  if (exchange) return fail(`The handshake completed but ${exchange}.`);

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
  const authentication = judgeAuthentication(expect, obs);
  if (authentication) return authentication;
  // Programs disagreeing about something the case checks means one of them is wrong.
  const checked = new Set(
    Object.keys(expect).map((k) =>
      k === "groupOneOf" ? "group" : k === "certificate" ? "serverCertificate" : k
    ),
  );
  const disputed = obs.disagreements.find((d) => checked.has(d.split(":")[0]));
  if (disputed) return fail(`The two programs disagree: ${disputed}.`);

  const authenticated = expect.certificate !== undefined || expect.signatureScheme !== undefined
    ? `, the server authenticated with its ${obs.serverCertificate} certificate (${obs.signatureScheme})`
    : "";
  return { outcome: "pass", reason: `${describe(obs)}${authenticated}, as expected.` };
}

/**
 * What authenticated the server, when the case names it. The tap cannot see it (it is encrypted),
 * so it rests on what the programs reported: a pass needs one of them to have said exactly that,
 * and when neither could say, the cell is unverified, never a pass.
 */
function judgeAuthentication(
  expect: Extract<Expectation, { kind: "handshake" }>,
  obs: Observation,
): Verdict | null {
  if (expect.certificate !== undefined) {
    if (obs.serverCertificate === null) {
      return {
        outcome: "unverified",
        reason: `Not verified: the server's certificate should be ${expect.certificate}, but ` +
          `neither program reported the certificate it presented or verified.`,
      };
    }
    if (obs.serverCertificate !== expect.certificate) {
      return fail(
        `Expected the server's certificate to be ${expect.certificate} but a program reported ` +
          `${obs.serverCertificate}.`,
      );
    }
  }
  if (expect.signatureScheme !== undefined) {
    const want = expect.signatureScheme.join(" or ");
    if (obs.signatureScheme === null) {
      return {
        outcome: "unverified",
        reason: `Not verified: the server should sign with ${want}, but neither program ` +
          `reported the scheme of its CertificateVerify.`,
      };
    }
    if (!expect.signatureScheme.includes(obs.signatureScheme)) {
      return fail(`Expected the server to sign with ${want} but it used ${obs.signatureScheme}.`);
    }
  }
  return null;
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
