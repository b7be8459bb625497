// A test case is data: who it needs, how each side is configured, and what must happen.
// Suites under suites/ export arrays of these; the runner crosses them with implementation pairs.

import type {
  AlertName,
  CertKind,
  CipherSuiteName,
  GroupName,
  PskModeName,
  Role,
  SignatureSchemeName,
} from "../tls/names.ts";
import type { EndpointConfig, MisbehaviourSpec } from "./config.ts";

/** What must be seen for the cell to pass. Only the fields given are checked. */
export type Expectation =
  | {
    kind: "handshake";
    /** null = no key exchange group (psk_ke). */
    group?: GroupName | null;
    /** Any of these groups (when the pair's preferences decide, e.g. defaults). */
    groupOneOf?: GroupName[];
    helloRetryRequest?: boolean;
    cipherSuite?: CipherSuiteName;
    resumed?: boolean;
    pskMode?: PskModeName | null;
    earlyData?: "accepted" | "rejected" | null;
    certWithPsk?: boolean;
    /** The kind of certificate the server authenticated with (as a program reported it). */
    certificate?: CertKind;
    /** The server's CertificateVerify used one of these schemes. */
    signatureScheme?: SignatureSchemeName[];
  }
  | {
    kind: "alert";
    /** The side expected to detect the problem and send the alert. */
    by: Role;
    alert: AlertName;
  };

/** How a conformance verdict reads a misbehaviour besides the case's expectation. */
export interface VerdictHints {
  /** The RFC lets the party under test abort with one of these instead of carrying on (MAY). */
  mayAbortWith?: AlertName[];
  /** pq-in-tls12-hello: negotiating TLS 1.2 without a post-quantum group is also correct. */
  tls12Fallback?: boolean;
  /** Other alerts the sources name for the same fault: any of them is as correct as `alert`. */
  alternatives?: AlertName[];
  /**
   * The client misbehaves after the server's flight (in its Finished): the server's ServerHello
   * is then no sign it carried on; its answer to our line is.
   */
  afterServerFlight?: boolean;
}

/**
 * What a conformance case checks: the reference peer misbehaves on purpose (src/adversary/) and
 * the implementation under test, in the other role, must answer as the cited sentence says.
 */
export interface ConformanceCheck {
  /** The misbehaviour, by its name in src/adversary/catalogue.ts, and its parameters. */
  misbehaviour: MisbehaviourSpec;
  /** The role of the implementation under test (the reference peer plays the other one). */
  roleUnderTest: Role;
  /** The sentence the expectation enforces, with document and section. */
  source: string;
  hints?: VerdictHints;
}

export interface Case {
  /** `<suite>/<name>` */
  id: string;
  suite: string;
  title: string;
  client: EndpointConfig;
  server: EndpointConfig;
  expect: Expectation;
  /** Restrict the case to some implementations on one side (e.g. the TS peer as adversary). */
  only?: { client?: string[]; server?: string[] };
  conformance?: ConformanceCheck;
  /** Cases marked required must pass on every pair that supports them (gates CI). */
  required?: boolean;
}
