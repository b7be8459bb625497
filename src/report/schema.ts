// The run report: schema-versioned JSON written as the run goes, read by the terminal summary,
// JUnit/Markdown writers, the baseline comparison and the web page. Change SCHEMA_VERSION
// whenever a field changes meaning.

import type { Expectation } from "../runner/case.ts";
import type { ImplId, PeerReport, Provenance } from "../peers/types.ts";
import type { AlertName, CipherSuiteName, GroupName, PskModeName } from "../tls/names.ts";
import type { KeyShareInfo, TranscriptEntry } from "../tls/summary.ts";

export const SCHEMA_VERSION = 1;

export const OUTCOMES = ["pass", "fail", "unsupported", "error", "timeout", "flaky"] as const;
export type Outcome = typeof OUTCOMES[number];

/** What the wire tap saw in the cleartext part of the handshake. */
export interface WireObservation {
  groupsOffered: (GroupName | string)[];
  keySharesOffered: KeyShareInfo[];
  /** Selected group from the ServerHello (null when psk_ke or no ServerHello). */
  selectedGroup: GroupName | string | null;
  serverShareSize: number | null;
  helloRetryRequest: boolean;
  /** Group asked for by the HelloRetryRequest. */
  hrrGroup: GroupName | string | null;
  cipherSuite: CipherSuiteName | string | null;
  pskOffered: number;
  pskSelected: number | null;
  certWithPskOffered: boolean;
  certWithPskEchoed: boolean;
  earlyDataOffered: boolean;
  /** Alerts seen in clear (before encryption started). */
  alerts: { from: "client" | "server"; level: string; alert: AlertName | string }[];
  bytes: { clientToServer: number; serverToClient: number };
  segments: { clientToServer: number; serverToClient: number };
  /** The first flight of each side: records and bytes. */
  flights: { from: "client" | "server"; bytes: number; segments: number; records: number }[];
  /** Milliseconds from the client's first byte to the server's first byte, and to the close. */
  timings: { firstServerByteMs: number | null; closedMs: number | null };
  /** Every record that crossed, annotated where cleartext. Bounded. */
  transcript: TranscriptEntry[];
  /** Second and later connections through the same tap (resumption). */
  connections: number;
}

export interface Observation {
  /** Negotiated group: the wire is the source of truth where it can see. */
  group: GroupName | null;
  cipherSuite: CipherSuiteName | null;
  helloRetryRequest: boolean | null;
  resumed: boolean | null;
  pskMode: PskModeName | null;
  earlyData: "accepted" | "rejected" | null;
  certWithPsk: boolean | null;
  /** The alert that ended the handshake and who sent it, when there was one. */
  alert: { name: AlertName | string; by: "client" | "server" | "unknown" } | null;
  client: PeerReport | null;
  server: PeerReport | null;
  wire: WireObservation | null;
  /** Places where the wire and a program's own report disagree, or the two programs do. */
  disagreements: string[];
}

/**
 * How the library under test answered a deliberate misbehaviour of the reference peer
 * (suites/conformance.ts); src/runner/verdict.ts decides which one from the evidence.
 */
export const CLASSIFICATIONS = [
  "correct-alert",
  "wrong-alert",
  "closed-without-alert",
  "accepted",
  "alert-unreadable",
  "tolerated",
  "not-applied",
] as const;
export type Classification = typeof CLASSIFICATIONS[number];

export interface ConformanceFinding {
  /** The side played by the library under test. */
  roleUnderTest: "client" | "server";
  classification: Classification;
  /** The alert the library under test sent, when anyone could read it. */
  alert: string | null;
}

export interface Result {
  case: string;
  suite: string;
  title: string;
  client: ImplId;
  server: ImplId;
  outcome: Outcome;
  /** One sentence: why this outcome (the mismatch, the unsupported feature, the timeout). */
  reason: string;
  expected: Expectation;
  observed: Observation | null;
  /** Bounded stdout+stderr of each side. */
  logs: { client: string; server: string };
  durations: { totalMs: number; handshakeMs: number | null };
  attempts: number;
  /** For conformance cells: what the library under test did. */
  conformance?: ConformanceFinding;
  /** For conformance cells: the exact bytes the adversary sent in clear (hex). */
  sentHex?: string;
}

export interface Report {
  schema: typeof SCHEMA_VERSION;
  id: string;
  startedAt: string;
  finishedAt: string | null;
  /** false while running, and for a run that was interrupted. */
  complete: boolean;
  interrupted?: string;
  command: string[];
  host: { deno: string; os: string; cpus: number };
  /** Wall time of the run; with cold = images were built during this run. */
  timing: { wallMs: number | null; cold: boolean };
  implementations: Partial<Record<ImplId, Provenance>>;
  results: Result[];
  totals: Record<Outcome, number>;
  /** Cells that the committed expectations say must pass but did not. */
  regressions: string[];
}

/** A stable id for a cell, used in file names, URLs and the expectations file. */
export const cellId = (r: Pick<Result, "case" | "client" | "server">): string =>
  `${r.case}@${r.client}->${r.server}`;
