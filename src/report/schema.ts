// The run report. On disk a run is three files beside each other (src/report/store.ts):
//
//   <name>.json          the report: what ran, every cell's outcome and the facts that decided it
//   <name>.evidence.gz   every cell's evidence (both programs' reports and logs, the wire tap's
//                        observation and annotated transcript), one gzip member per cell, found
//                        through the cell's `evidence` offset and length
//   <name>.journal       while the run goes: one JSON line per event, so an interrupted or crashed
//                        run still reads back (removed once <name>.json is written)
//
// SCHEMA_VERSION changes whenever a field changes meaning; src/report/read.ts reads every version
// that was ever written (1: one file with everything inline).

import type { Expectation } from "../contract/case.ts";
import type { Provenance } from "../contract/provenance.ts";
import type { PeerReport } from "../contract/report.ts";
import type {
  AlertName,
  CipherSuiteName,
  GroupName,
  PskModeName,
  Role,
  SignatureSchemeName,
} from "../tls/names.ts";
import type { WireObservation } from "../wire/observation.ts";

export type { WireObservation };

export const SCHEMA_VERSION = 2;

/**
 * unverified: the programs completed, but a property the case names (the certificate, the
 * signature scheme) was reported by neither and the wire cannot see it: never a pass.
 */
export const OUTCOMES = [
  "pass",
  "fail",
  "unverified",
  "unsupported",
  "error",
  "timeout",
  "flaky",
] as const;
export type Outcome = typeof OUTCOMES[number];

/** Everything the judge saw, merged: the full evidence of one attempt (kept in the side file). */
export interface Observation {
  /** Negotiated group: the wire is the source of truth where it can see. */
  group: GroupName | null;
  cipherSuite: CipherSuiteName | null;
  helloRetryRequest: boolean | null;
  resumed: boolean | null;
  pskMode: PskModeName | null;
  earlyData: "accepted" | "rejected" | null;
  certWithPsk: boolean | null;
  /** The scheme of the server's CertificateVerify, as a program reported it. */
  signatureScheme: SignatureSchemeName | null;
  /** The kind of the server's certificate (ecdsa-p256, mldsa65, …), as a program reported it. */
  serverCertificate: string | null;
  /** The alert that ended the handshake and who sent it, when there was one. */
  alert: { name: AlertName | string; by: Role | "unknown" } | null;
  client: PeerReport | null;
  server: PeerReport | null;
  wire: WireObservation | null;
  /** Places where the wire and a program's own report disagree, or the two programs do. */
  disagreements: string[];
}

/** The facts of an Observation a reader needs without opening the evidence. */
export interface Observed {
  group: GroupName | null;
  cipherSuite: CipherSuiteName | null;
  helloRetryRequest: boolean | null;
  resumed: boolean | null;
  pskMode: PskModeName | null;
  earlyData: "accepted" | "rejected" | null;
  certWithPsk: boolean | null;
  signatureScheme: SignatureSchemeName | null;
  serverCertificate: string | null;
  alert: Observation["alert"];
  disagreements: string[];
  /** What crossed the wire, for the cost of each group: totals and each side's first flight. */
  wire: {
    bytes: { clientToServer: number; serverToClient: number };
    firstFlight: { client: number | null; server: number | null };
    /** The selected group's share sizes (client, server), as the wire saw them. */
    share: { client: number | null; server: number | null };
  } | null;
}

/**
 * How the library under test answered a deliberate misbehaviour of the reference peer
 * (suites/conformance.ts); src/judge/conformance.ts decides which one from the evidence.
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
  roleUnderTest: Role;
  classification: Classification;
  /** The alert the library under test sent, when anyone could read it. */
  alert: string | null;
}

/** A cell's evidence, as kept in the side file. */
export interface Evidence {
  observation: Observation | null;
  /** Bounded stdout+stderr of each side. */
  logs: { client: string; server: string };
  /** For conformance cells: the exact bytes the adversary sent in clear (hex). */
  sentHex?: string;
}

/** Where a cell's evidence is in the run's evidence file. */
export interface EvidenceRef {
  offset: number;
  length: number;
}

export interface Result {
  case: string;
  suite: string;
  client: string;
  server: string;
  outcome: Outcome;
  /** One sentence: why this outcome (the mismatch, the unsupported feature, the timeout). */
  reason: string;
  observed: Observed | null;
  durations: {
    totalMs: number;
    handshakeMs: number | null;
    /** Where the last attempt's time went (ms): programs up, the client's run, judging, writing. */
    phases?: {
      startMs: number;
      clientMs: number;
      stopMs: number;
      judgeMs: number;
      writeMs?: number;
    };
  };
  attempts: number;
  /** For conformance cells: what the library under test did. */
  conformance?: ConformanceFinding;
  /** Null when the cell has none (unsupported: nothing ran). */
  evidence: EvidenceRef | null;
}

/** What a report says about each case once, instead of in every cell. */
export interface CaseInfo {
  suite: string;
  title: string;
  expected: Expectation;
}

/** The cells a run was asked to run: the same plan gives the same hash on any machine. */
export interface PlanInfo {
  /** sha256 (hex, first 16) over the sorted cell ids and what each cell was told. */
  hash: string;
  /** Cells in the whole plan, and in this report (one shard of it, when sharded). */
  cells: number;
  shard?: { index: number; count: number };
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
  /** The project commit that ran (git describe), or null outside a checkout. */
  commit: string | null;
  host: { deno: string; os: string; cpus: number };
  /** Wall time of the run; with cold = images were built during this run. */
  timing: { wallMs: number | null; cold: boolean };
  plan: PlanInfo;
  implementations: Record<string, Provenance>;
  cases: Record<string, CaseInfo>;
  results: Result[];
  totals: Record<Outcome, number>;
  /** Cells that the committed expectations say must pass but did not. */
  regressions: string[];
  /** The evidence file's name, beside this report (null: no cell has evidence). */
  evidenceFile: string | null;
}

/** A stable id for a cell, used in file names, URLs and the expectations file. */
export const cellId = (r: Pick<Result, "case" | "client" | "server">): string =>
  `${r.case}@${r.client}->${r.server}`;

export const emptyTotals = (): Record<Outcome, number> =>
  Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

export function totalsOf(results: Result[]): Record<Outcome, number> {
  const totals = emptyTotals();
  for (const r of results) totals[r.outcome]++;
  return totals;
}

/** The compact facts of an observation, for the report itself. */
export function observedOf(o: Observation): Observed {
  const w = o.wire;
  const first = (from: Role) => w?.flights.find((f) => f.from === from)?.bytes ?? null;
  return {
    group: o.group,
    cipherSuite: o.cipherSuite,
    helloRetryRequest: o.helloRetryRequest,
    resumed: o.resumed,
    pskMode: o.pskMode,
    earlyData: o.earlyData,
    certWithPsk: o.certWithPsk,
    signatureScheme: o.signatureScheme,
    serverCertificate: o.serverCertificate,
    alert: o.alert,
    disagreements: o.disagreements,
    wire: w && w.connections > 0
      ? {
        bytes: w.bytes,
        firstFlight: { client: first("client"), server: first("server") },
        share: {
          client: w.keySharesOffered.find((s) => s.group === w.selectedGroup)?.size ?? null,
          server: w.serverShareSize,
        },
      }
      : null,
  };
}
