// What one side says happened: the contract's JSON line (src/tls/summary.ts ConnectionReport),
// read from a program's output by the one reader every implementation shares. The policy, the
// same for every program: lines that start with "{" and parse to an object with a boolean `ok`
// are reports, one per connection, in order; a typed field with a value outside its list is
// dropped to null and kept readable in `error`; everything else is ignored, but the last such
// line is named when a program printed no report at all.

import type { CertificateInfo, ConnectionReport } from "../tls/summary.ts";
import { ALERTS, CIPHER_SUITES, GROUPS, PSK_MODES, SIGNATURE_SCHEMES } from "../tls/names.ts";

/** What only the reference peer adds, kept for conformance verdicts and the cell page. */
export interface ReferenceExtras {
  /** The misbehaviours that ran, and which of them changed something on the wire. */
  adversary?: { hooks: string[]; applied: string[] };
  /** The bytes the reference peer sent in clear, as hex. */
  sentHex?: string;
  flights?: { direction: "sent" | "received"; messages: string[] }[];
}

/**
 * One side's report on its connections: the first, with the later ones (the resumed connection)
 * as `next`. `null` in a field means "this program does not say", which is different from false;
 * the judge only compares what was said.
 */
export type PeerReport = ConnectionReport & ReferenceExtras & { next?: PeerReport[] };

/** A failed connection about which nothing is known but `error` (nothing was reported). */
export function failedReport(error: string | null): PeerReport {
  return {
    ok: false,
    version: null,
    group: null,
    cipherSuite: null,
    helloRetryRequest: null,
    resumed: null,
    pskMode: null,
    pskIdentity: null,
    earlyData: null,
    certWithPsk: null,
    signatureScheme: null,
    peerCertificate: null,
    certificate: null,
    alert: null,
    alertDirection: null,
    error,
    handshakeMs: null,
  };
}

/** One report per connection, in order (at least one), as the first with the rest in `next`. */
export function chained(reports: PeerReport[]): PeerReport {
  const [first, ...next] = reports;
  return next.length ? { ...first, next } : first;
}

export interface ProgramOutput {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Every report a program printed, in order; empty when it printed none. */
export function readReports(stdout: string): PeerReport[] {
  const reports: PeerReport[] = [];
  for (const line of stdout.split("\n")) {
    const text = line.trim();
    if (!text.startsWith("{")) continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      continue;
    }
    if (
      typeof json === "object" && json !== null &&
      typeof (json as { ok?: unknown }).ok === "boolean"
    ) {
      reports.push(toReport(json as Record<string, unknown>));
    }
  }
  return reports;
}

/**
 * The side's report, chained over its connections; a program that printed none gets a failed
 * report saying so, with the last thing it said.
 */
export function readPeerReport(role: string, output: ProgramOutput): PeerReport {
  const reports = readReports(output.stdout);
  if (reports.length) return chained(reports);
  const last = `${output.stderr}\n${output.stdout}`.split("\n").map((l) => l.trim())
    .filter(Boolean).at(-1);
  return failedReport(
    `${role} printed no report (exit ${output.code ?? "killed"})${last ? `: ${last}` : ""}`,
  );
}

function toReport(j: Record<string, unknown>): PeerReport {
  const unknown: string[] = [];
  const oneOf = <T extends string>(field: string, table: Record<string, unknown>): T | null => {
    const v = j[field];
    if (v === undefined || v === null) return null;
    if (typeof v === "string" && Object.hasOwn(table, v)) return v as T;
    unknown.push(`${field} ${JSON.stringify(v)}`);
    return null;
  };
  const bool = (v: unknown) => typeof v === "boolean" ? v : null;
  const text = (v: unknown) => typeof v === "string" ? v : null;
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : null;
  const certificate = (v: unknown): CertificateInfo | null => {
    if (typeof v !== "object" || v === null) return null;
    const c = v as Record<string, unknown>;
    return typeof c.subject === "string" && typeof c.keyType === "string"
      ? { subject: c.subject, keyType: c.keyType }
      : null;
  };
  const report: PeerReport = {
    ok: j.ok === true,
    version: text(j.version),
    group: oneOf("group", GROUPS),
    cipherSuite: oneOf("cipherSuite", CIPHER_SUITES),
    helloRetryRequest: bool(j.helloRetryRequest),
    resumed: bool(j.resumed),
    pskMode: oneOf("pskMode", PSK_MODES),
    pskIdentity: text(j.pskIdentity),
    earlyData: j.earlyData === "accepted" || j.earlyData === "rejected" ? j.earlyData : null,
    certWithPsk: bool(j.certWithPsk),
    signatureScheme: oneOf("signatureScheme", SIGNATURE_SCHEMES),
    peerCertificate: certificate(j.peerCertificate),
    certificate: certificate(j.certificate),
    alert: oneOf("alert", ALERTS),
    alertDirection: j.alertDirection === "sent" || j.alertDirection === "received"
      ? j.alertDirection
      : null,
    error: text(j.error),
    handshakeMs: num(j.handshakeMs),
  };
  if (j.echo === "matched" || j.echo === "mismatched" || j.echo === "none") report.echo = j.echo;
  if (unknown.length) {
    report.error = [report.error, `reported ${unknown.join(", ")}`].filter(Boolean).join("; ");
  }
  // The reference peer's extras travel on.
  if (typeof j.sentHex === "string") report.sentHex = j.sentHex;
  if (typeof j.adversary === "object" && j.adversary !== null) {
    report.adversary = j.adversary as ReferenceExtras["adversary"];
  }
  if (Array.isArray(j.flights)) {
    report.flights = (j.flights as { direction: "sent" | "received"; messages: string[] }[])
      .map((f) => ({ direction: f.direction, messages: f.messages }));
  }
  return report;
}
